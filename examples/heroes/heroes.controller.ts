import { Controller, Ctx, EventPattern, KafkaContext, MessagePattern, Payload } from '../../lib';

export interface KillDragonMessage {
  heroId: number;
  dragonId: number;
}

export interface Item {
  id: number;
  name: string;
}

/** The NestJS docs' HeroesController, unchanged but for the imports. */
@Controller()
export class HeroesController {
  readonly kills: KillDragonMessage[] = [];

  @MessagePattern('hero.kill.dragon')
  killDragon(@Payload() message: KillDragonMessage, @Ctx() context: KafkaContext): Item[] {
    this.kills.push(message);
    const items: Item[] = [
      { id: 1, name: 'Mythical Sword' },
      { id: 2, name: 'Key to Dungeon' },
    ];
    void context; // topic, partition, offset, headers, consumer, producer and heartbeat are all here
    return items;
  }

  /** The same answer as a keyed record with a header: the `{ key, value, headers }` envelope. */
  @MessagePattern('hero.kill.dragon.keyed')
  killDragonKeyed(@Payload() message: KillDragonMessage, @Ctx() context: KafkaContext) {
    const realm = 'Nest';
    return {
      headers: {
        realm,
        from: `${context.getTopic()}/${context.getPartition()}@${context.getMessage().offset}`,
      },
      key: String(message.heroId),
      value: this.killDragon(message, context),
    };
  }

  @EventPattern('hero.killed.dragon')
  onDragonKilled(@Payload() message: KillDragonMessage): void {
    this.kills.push(message);
  }
}
