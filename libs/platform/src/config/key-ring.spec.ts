import fc from 'fast-check';
import { KEY_ID_PATTERN, parseKeyRing } from './key-ring';

describe('parseKeyRing', () => {
  const id = fc.stringMatching(KEY_ID_PATTERN);
  // Any secret without a comma (the item separator); colons are fine after the first.
  const secret = fc.string({ minLength: 1, maxLength: 60 }).filter((s) => !s.includes(',') && s.trim() === s && s !== '');

  it('reads back any ring it is given, in order', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(id, secret), { minLength: 1, maxLength: 5, selector: ([i]) => i }), (ring) => {
        const parsed = parseKeyRing('KEYS', ring.map(([i, s]) => `${i}:${s}`).join(','), () => null);
        expect(parsed).toEqual({ keys: ring.map(([i, s]) => ({ id: i, secret: s })), problems: [] });
      }),
    );
  });

  it('never puts a secret in a problem, whatever is wrong with the ring', () => {
    const item = fc
      .tuple(fc.oneof(id, fc.string({ maxLength: 20 })), fc.stringMatching(/^[0-9a-f]{0,40}$/))
      .map(([i, hex]) => ({ text: `${i}:SECRET-${hex}`, secret: `SECRET-${hex}` }));
    fc.assert(
      fc.property(fc.array(item, { minLength: 1, maxLength: 4 }), (items) => {
        const { problems } = parseKeyRing('KEYS', items.map((i) => i.text).join(','), (s) => (s.length >= 32 ? null : 'too short'));
        expect(problems.join('\n')).not.toContain('SECRET-');
      }),
    );
  });
});
