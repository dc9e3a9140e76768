import { expect } from 'chai';
import { connectionMachine } from '../../lib/connection/connection-machine';
import { listChartEdges } from '../../lib/connection/inspection';
import { renderStatechartSvg } from '../../lib/inspector/render-statechart';
import { edgeLabel, toStatechartDot } from '../../lib/inspector/statechart-dot';

describe('toStatechartDot()', () => {
  const dot = toStatechartDot(connectionMachine, listChartEdges(connectionMachine));

  it('draws compound states as clusters and leaf states as nodes, by their dotted paths', () => {
    expect(dot).to.include('subgraph "cluster_draining"');
    expect(dot).to.include('"draining.abandoning" [id="state:draining.abandoning", label="abandoning"]');
    expect(dot).to.include('"assigned" [id="state:assigned", label="assigned"]');
  });

  it('draws one arrow per pair of states, labelled with every event between them', () => {
    expect(dot).to.match(
      /"assigned" -> "rebalancing" \[label="rebalance\.started", id="arrow:assigned\|rebalancing"/,
    );
    // connecting.starting fails into reconnecting (a cluster): the arrow ends at its border.
    expect(dot).to.match(
      /"connecting\.starting" -> "reconnecting\.backoff" \[label="connectKafka failed".*lhead="cluster_reconnecting"/,
    );
  });

  it('names xstate’s own events by what they mean', () => {
    expect(edgeLabel('xstate.done.actor.drainKafka')).to.equal('drainKafka done');
    expect(edgeLabel('xstate.error.actor.connectKafka')).to.equal('connectKafka failed');
    expect(edgeLabel('xstate.after.reconnectBackoff.connection.reconnecting.backoff')).to.equal(
      'after reconnectBackoff',
    );
    expect(edgeLabel('kafka.producer.lost')).to.equal('producer.lost');
  });
});

describe('renderStatechartSvg()', () => {
  it('renders the chart offline, with an element per state and arrow the page can find by id', async () => {
    const svg = await renderStatechartSvg(connectionMachine, listChartEdges(connectionMachine));
    expect(svg.startsWith('<svg')).to.equal(true);
    for (const id of [
      'state:idle',
      'state:connecting.starting',
      'state:reconnecting',
      'arrow:assigned|rebalancing',
    ]) {
      expect(svg).to.include(`id="${id}"`);
    }
  });
});
