import { missingServiceV8Flags, SERVICE_V8_FLAGS } from './v8-flags';

describe('missingServiceV8Flags', () => {
  it('adds the young-generation flag when the process was given none', () => {
    expect(missingServiceV8Flags([], '')).toEqual([...SERVICE_V8_FLAGS]);
  });

  it('leaves it out when the command line or NODE_OPTIONS sets the semi-space already (theirs wins)', () => {
    expect(missingServiceV8Flags(['--max-semi-space-size=16'], '')).toEqual([]);
    expect(missingServiceV8Flags([], '--enable-source-maps --max-semi-space-size=32')).toEqual([]);
  });
});
