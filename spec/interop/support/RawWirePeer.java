/*
 * A raw Kafka peer for the wire specs: the Apache Kafka Java client (KafkaProducer / KafkaConsumer with byte-array
 * serializers), driven over stdin/stdout with one JSON object per line. It is an independent implementation of the
 * Kafka protocol, so what it writes and reads is what any producer or consumer sees on the wire.
 *
 * Run with the JDK 17 source launcher (no build step), on the jars the test broker runs on:
 *
 *   java -cp '<kafka libs>/*' spec/interop/support/RawWirePeer.java <bootstrap servers>
 *
 * Protocol (key, value and header values are base64, or null):
 *   started                                  → {"event":"ready","clientVersion":"4.1.1"}
 *   {"id":1,"op":"produce","topic":"t","key":null,"value":"aGk=","headers":[["h","AA=="]],"partition":null}
 *                                            → {"id":1,"ok":true,"partition":0,"offset":5}   (after the broker's ack)
 *   {"id":2,"op":"read","topic":"t"}         → {"id":2,"ok":true,"records":[{"partition":0,"offset":0,"key":null,
 *                                               "value":"aGk=","headers":[["h","AA=="]]}, ...]}
 *     every record of every partition, from the beginning up to the end offsets of the moment of the call, in
 *     partition then offset order, headers in their wire order (assign + seekToBeginning: no consumer group).
 *   any failure                              → {"id":..,"ok":false,"error":"..."}
 * End of stdin closes the clients and exits. Only protocol lines go to stdout; everything else (Java logs) to stderr.
 */
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

public final class RawWirePeer {
    private static final long READ_TIMEOUT_MS = 30_000;

    private final ObjectMapper json = new ObjectMapper();
    private final PrintStream protocol;
    private final String bootstrap;
    // KafkaProducer is thread-safe; one thread still sends, so records go out in command order.
    private final ExecutorService producerThread = Executors.newSingleThreadExecutor(named("peer-producer"));
    // KafkaConsumer is not thread-safe: every read runs on this one thread.
    private final ExecutorService consumerThread = Executors.newSingleThreadExecutor(named("peer-consumer"));
    private org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> producer;
    private org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> consumer;

    private RawWirePeer(PrintStream protocol, String bootstrap) {
        this.protocol = protocol;
        this.bootstrap = bootstrap;
    }

    public static void main(String[] args) throws Exception {
        // Before any logging framework starts: the real stdout carries protocol lines only, and anything written to
        // System.out (log4j2's default console appender, a stray println) goes to stderr instead.
        PrintStream protocol = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
        System.setOut(System.err);
        if (System.getProperty("log4j2.level") == null) System.setProperty("log4j2.level", "warn");
        if (args.length != 1 || args[0].isBlank()) {
            System.err.println("usage: java -cp '<kafka libs>/*' RawWirePeer.java <bootstrap servers>");
            System.exit(2);
        }
        new RawWirePeer(protocol, args[0]).run();
    }

    /**
     * The kafka-clients version, from the properties file its jar carries: AppInfoParser, which reads it too, moved
     * to an internals package in Kafka 4.4.
     */
    private static String readClientVersion() throws java.io.IOException {
        Properties properties = new Properties();
        try (java.io.InputStream in =
                org.apache.kafka.clients.producer.KafkaProducer.class.getResourceAsStream("/kafka/kafka-version.properties")) {
            if (in != null) properties.load(in);
        }
        return properties.getProperty("version", "unknown");
    }

    private void run() throws Exception {
        producer = new org.apache.kafka.clients.producer.KafkaProducer<>(producerConfig());
        consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(consumerConfig());
        ObjectNode ready = json.createObjectNode();
        ready.put("event", "ready");
        ready.put("clientVersion", readClientVersion());
        emit(ready);

        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) continue;
            dispatch(line);
        }
        shutdown();
    }

    private void dispatch(String line) {
        JsonNode command;
        try {
            command = json.readTree(line);
        } catch (Exception e) {
            fail(null, "unparseable command line (" + describe(e) + ")");
            return;
        }
        JsonNode id = command.get("id");
        String op = command.path("op").asText("");
        switch (op) {
            case "produce" -> producerThread.execute(() -> guarded(id, () -> produce(id, command)));
            case "read" -> consumerThread.execute(() -> guarded(id, () -> read(id, command)));
            default -> fail(id, "unknown op '" + op + "' (expected produce or read)");
        }
    }

    private void produce(JsonNode id, JsonNode command) throws Exception {
        String topic = requiredText(command, "topic");
        JsonNode partitionNode = command.path("partition");
        Integer partition = partitionNode.isIntegralNumber() ? partitionNode.intValue() : null;
        var record = new org.apache.kafka.clients.producer.ProducerRecord<byte[], byte[]>(
                topic, partition, bytes(command.get("key")), bytes(command.get("value")));
        JsonNode headers = command.path("headers");
        if (!headers.isMissingNode() && !headers.isNull()) {
            if (!headers.isArray()) throw new IllegalArgumentException("headers must be an array of [name, base64|null]");
            for (JsonNode header : headers) {
                if (!header.isArray() || header.size() != 2 || !header.get(0).isTextual()) {
                    throw new IllegalArgumentException("each header must be [name, base64|null], got " + header);
                }
                record.headers().add(header.get(0).asText(), bytes(header.get(1)));
            }
        }
        producer.send(record, (metadata, error) -> {
            if (error != null) {
                fail(id, "produce to " + topic + " failed: " + describe(error));
                return;
            }
            ObjectNode reply = ok(id);
            reply.put("partition", metadata.partition());
            reply.put("offset", metadata.offset());
            emit(reply);
        });
    }

    private void read(JsonNode id, JsonNode command) {
        String topic = requiredText(command, "topic");
        Duration timeout = Duration.ofMillis(READ_TIMEOUT_MS);
        var partitions = consumer.partitionsFor(topic, timeout);
        if (partitions == null || partitions.isEmpty()) throw new IllegalStateException("topic " + topic + " does not exist");
        List<org.apache.kafka.common.TopicPartition> assigned = new ArrayList<>();
        for (var info : partitions) assigned.add(new org.apache.kafka.common.TopicPartition(topic, info.partition()));
        Map<org.apache.kafka.common.TopicPartition, Long> end = consumer.endOffsets(assigned, timeout);
        consumer.assign(assigned);
        consumer.seekToBeginning(assigned);

        List<org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        long deadline = System.currentTimeMillis() + READ_TIMEOUT_MS;
        try {
            while (true) {
                List<org.apache.kafka.common.TopicPartition> behind = new ArrayList<>();
                for (var tp : assigned) {
                    if (consumer.position(tp, timeout) < end.get(tp)) behind.add(tp);
                }
                if (behind.isEmpty()) break;
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("timed out after " + READ_TIMEOUT_MS + " ms reading " + topic
                            + " up to its end offsets " + end + " (still behind on " + behind + ")");
                }
                // Partitions already at their captured end fetch nothing more.
                List<org.apache.kafka.common.TopicPartition> done = new ArrayList<>(assigned);
                done.removeAll(behind);
                consumer.pause(done);
                consumer.resume(behind);
                for (var record : consumer.poll(Duration.ofMillis(100))) {
                    var tp = new org.apache.kafka.common.TopicPartition(record.topic(), record.partition());
                    if (record.offset() < end.get(tp)) records.add(record);
                }
            }
        } finally {
            consumer.assign(List.of());
        }
        records.sort(Comparator.comparingInt((org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]> r) -> r.partition())
                .thenComparingLong(r -> r.offset()));

        ObjectNode reply = ok(id);
        ArrayNode out = reply.putArray("records");
        for (var record : records) {
            ObjectNode item = out.addObject();
            item.put("partition", record.partition());
            item.put("offset", record.offset());
            putBytes(item, "key", record.key());
            putBytes(item, "value", record.value());
            ArrayNode headers = item.putArray("headers");
            for (var header : record.headers()) {
                ArrayNode pair = headers.addArray();
                pair.add(header.key());
                byte[] value = header.value();
                if (value == null) pair.addNull();
                else pair.add(Base64.getEncoder().encodeToString(value));
            }
        }
        emit(reply);
    }

    private Properties producerConfig() {
        Properties config = new Properties();
        config.put("bootstrap.servers", bootstrap);
        config.put("client.id", "raw-wire-peer-producer");
        config.put("key.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
        config.put("value.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
        config.put("acks", "all");
        config.put("linger.ms", "0");
        config.put("max.block.ms", "30000");
        config.put("request.timeout.ms", "15000");
        config.put("delivery.timeout.ms", "30000");
        return config;
    }

    private Properties consumerConfig() {
        Properties config = new Properties();
        config.put("bootstrap.servers", bootstrap);
        config.put("client.id", "raw-wire-peer-consumer");
        config.put("key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        config.put("value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        // No group.id: partitions are assigned by hand and nothing is committed.
        config.put("enable.auto.commit", "false");
        config.put("auto.offset.reset", "earliest");
        config.put("isolation.level", "read_uncommitted");
        config.put("fetch.max.wait.ms", "100");
        return config;
    }

    private void shutdown() throws InterruptedException {
        producerThread.shutdown();
        consumerThread.shutdown();
        producerThread.awaitTermination(60, TimeUnit.SECONDS);
        consumerThread.awaitTermination(60, TimeUnit.SECONDS);
        producer.close(Duration.ofSeconds(30));
        consumer.close();
        protocol.flush();
        System.exit(0);
    }

    private interface Step {
        void run() throws Exception;
    }

    private void guarded(JsonNode id, Step step) {
        try {
            step.run();
        } catch (Throwable e) {
            fail(id, describe(e));
        }
    }

    private ObjectNode ok(JsonNode id) {
        ObjectNode reply = json.createObjectNode();
        reply.set("id", id);
        reply.put("ok", true);
        return reply;
    }

    private void fail(JsonNode id, String error) {
        ObjectNode reply = json.createObjectNode();
        reply.set("id", id);
        reply.put("ok", false);
        reply.put("error", error);
        emit(reply);
    }

    /** Writes one protocol line; called from the reader, the consumer thread and the producer's I/O thread. */
    private synchronized void emit(ObjectNode message) {
        try {
            protocol.print(json.writeValueAsString(message));
            protocol.print('\n');
            protocol.flush();
        } catch (Exception e) {
            System.err.println("raw-wire-peer: cannot write a protocol line: " + describe(e));
        }
    }

    private static byte[] bytes(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) return null;
        if (!node.isTextual()) throw new IllegalArgumentException("expected base64 text or null, got " + node);
        return Base64.getDecoder().decode(node.asText());
    }

    private static void putBytes(ObjectNode node, String field, byte[] value) {
        if (value == null) node.putNull(field);
        else node.put(field, Base64.getEncoder().encodeToString(value));
    }

    private static String requiredText(JsonNode command, String field) {
        JsonNode node = command.get(field);
        if (node == null || !node.isTextual() || node.asText().isEmpty()) {
            throw new IllegalArgumentException("'" + field + "' must be a non-empty string");
        }
        return node.asText();
    }

    private static String describe(Throwable error) {
        StringBuilder text = new StringBuilder();
        for (Throwable e = error; e != null; e = e.getCause()) {
            if (text.length() > 0) text.append(" <- ");
            text.append(e.getClass().getSimpleName());
            if (e.getMessage() != null) text.append(": ").append(e.getMessage());
            if (e.getCause() == e) break;
        }
        return text.toString();
    }

    private static java.util.concurrent.ThreadFactory named(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
