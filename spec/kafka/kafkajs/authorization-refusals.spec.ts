import { expect } from 'chai';
import { AuthorizationRefusals } from '../../../lib/kafka/kafkajs/authorization-refusals';
import { RecordingLogger } from '../../support/recording-logger';

describe('AuthorizationRefusals', () => {
  it('passes every line on unchanged', () => {
    const logger = new RecordingLogger();
    const watched = new AuthorizationRefusals().watch(logger);
    watched.debug('d', { a: 1 });
    watched.info('i');
    watched.warn('w', { b: 2 });
    watched.error('e', { c: 3 });
    expect(logger.entries.map(({ level, message }) => `${level}:${message}`)).to.deep.equal([
      'debug:d',
      'info:i',
      'warn:w',
      'error:e',
    ]);
  });

  it('notes the group and transactional-id refusals kafkajs logs at a coordinator lookup, after a mark', () => {
    const refusals = new AuthorizationRefusals();
    const logger = refusals.watch(new RecordingLogger());
    const lookup = 'Response GroupCoordinator(key: 10, version: 2)';
    logger.error(lookup, { error: 'Not authorized to access group: Group authorization failed' });
    const mark = refusals.mark();
    expect([...refusals.since(mark)]).to.deep.equal([]);
    logger.error(lookup, { error: 'Transactional Id authorization failed' });
    logger.error(lookup, { error: 'The coordinator is not available' });
    logger.error('Response Metadata(key: 3, version: 6)', { error: 'Transactional Id authorization failed' });
    expect([...refusals.since(mark)]).to.deep.equal(['transactionalId']);
    expect([...refusals.since(0)].sort()).to.deep.equal(['group', 'transactionalId']);
  });
});
