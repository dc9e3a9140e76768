import { Server } from '@nestjs/microservices';
import { expect } from 'chai';
import { join, sep } from 'node:path';
import { RxKafkaStrategy } from '../../lib/nestjs';
import { nestjsFolderOf, readNestjsVersion, resolveNestjsMajor } from '../support/nestjs-major';

describe('the NestJS these specs run on', () => {
  const major = resolveNestjsMajor();

  for (const name of ['common', 'core', 'microservices']) {
    it(`loads @nestjs/${name} ${major} (RXKAFKA_NESTJS_MAJOR, 11 when unset)`, () => {
      const loaded = require.resolve(`@nestjs/${name}`);
      const folder = join(nestjsFolderOf(major), 'node_modules', '@nestjs', name);
      expect(loaded.startsWith(folder + sep), `@nestjs/${name} loads from ${loaded}`).to.equal(true);
      expect(readNestjsVersion(major, name)).to.match(new RegExp(`^${major}\\.`));
    });
  }

  it('is the one rxkafka/nestjs builds on: RxKafkaStrategy extends its Server', () => {
    expect(Object.getPrototypeOf(RxKafkaStrategy)).to.equal(Server);
  });

  it('refuses a major it has no copy of', () => {
    expect(() => resolveNestjsMajor('9')).to.throw('RXKAFKA_NESTJS_MAJOR must be one of 10, 11, 12, got "9"');
  });
});
