import { expect } from 'chai';
import { ReplyAssignments } from '../../lib/client/reply-assignments';

describe('ReplyAssignments', () => {
  describe('.update()', () => {
    it('stores the lowest partition of each assigned topic', () => {
      const assignments = new ReplyAssignments();
      assignments.update({ 'math.sum.reply': [3, 1, 2], 'hero.kill.reply': [4] });
      expect(assignments.get('math.sum.reply')).to.equal(1);
      expect(assignments.get('hero.kill.reply')).to.equal(4);
    });

    it('leaves out a topic assigned no partitions', () => {
      const assignments = new ReplyAssignments();
      assignments.update({ 'math.sum.reply': [] });
      expect(assignments.get('math.sum.reply')).to.equal(undefined);
      expect(assignments.toPreviousAssignment()).to.deep.equal({});
    });

    it('removes a topic that a later assignment emptied', () => {
      const assignments = new ReplyAssignments();
      assignments.update({ 'math.sum.reply': [0] });
      assignments.update({ 'math.sum.reply': [] });
      expect(assignments.get('math.sum.reply')).to.equal(undefined);
    });

    it('removes a topic missing from a later assignment', () => {
      const assignments = new ReplyAssignments();
      assignments.update({ 'math.sum.reply': [0], 'hero.kill.reply': [1] });
      assignments.update({ 'hero.kill.reply': [2] });
      expect(assignments.get('math.sum.reply')).to.equal(undefined);
      expect(assignments.get('hero.kill.reply')).to.equal(2);
    });

    it('does not keep a reference to the caller’s object', () => {
      const assignments = new ReplyAssignments();
      const memberAssignment = { 'math.sum.reply': [5] };
      assignments.update(memberAssignment);
      memberAssignment['math.sum.reply'] = [0];
      expect(assignments.get('math.sum.reply')).to.equal(5);
    });
  });

  describe('.get()', () => {
    it('returns undefined before any assignment', () => {
      expect(new ReplyAssignments().get('math.sum.reply')).to.equal(undefined);
    });

    it('returns undefined for a name plain objects inherit', () => {
      const assignments = new ReplyAssignments();
      assignments.update({ 'math.sum.reply': [0] });
      expect(assignments.get('constructor')).to.equal(undefined);
    });
  });

  describe('.toPreviousAssignment()', () => {
    it('maps every assigned reply topic to its lowest partition', () => {
      const assignments = new ReplyAssignments();
      assignments.update({ 'math.sum.reply': [2, 0], 'hero.kill.reply': [1], 'idle.reply': [] });
      expect(assignments.toPreviousAssignment()).to.deep.equal({ 'math.sum.reply': 0, 'hero.kill.reply': 1 });
    });

    it('serializes to the userData JSON NestJS writes', () => {
      const assignments = new ReplyAssignments();
      assignments.update({ 'math.sum.reply': [0] });
      expect(JSON.stringify({ previousAssignment: assignments.toPreviousAssignment() })).to.equal(
        '{"previousAssignment":{"math.sum.reply":0}}',
      );
    });

    it('returns a copy the caller may change freely', () => {
      const assignments = new ReplyAssignments();
      assignments.update({ 'math.sum.reply': [0] });
      assignments.toPreviousAssignment()['math.sum.reply'] = 9;
      expect(assignments.get('math.sum.reply')).to.equal(0);
    });
  });

  describe('.clear()', () => {
    it('forgets every assignment', () => {
      const assignments = new ReplyAssignments();
      assignments.update({ 'math.sum.reply': [0], 'hero.kill.reply': [1] });
      assignments.clear();
      expect(assignments.get('math.sum.reply')).to.equal(undefined);
      expect(assignments.toPreviousAssignment()).to.deep.equal({});
    });
  });
});
