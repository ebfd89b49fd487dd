import { describe, expect, it } from 'vitest';
import { integerListFlag, numberFlag, parseFlags } from '../lib/args.js';
import { DataScriptError } from '../lib/errors.js';

const SPECS = [
  { name: 'size', help: '', default: '256' },
  { name: 'scales', help: '', default: '4,8' },
  { name: 'refresh', help: '' },
];

describe('parseFlags', () => {
  it('reads values, = values, switches and defaults', () => {
    expect(parseFlags(['--size', '128', '--refresh'], SPECS, '')).toEqual({ size: '128', scales: '4,8', refresh: 'true' });
    expect(parseFlags(['--scales=2,3'], SPECS, '')).toEqual({ size: '256', scales: '2,3', refresh: undefined });
  });

  it('rejects unknown flags, stray arguments and missing values', () => {
    expect(() => parseFlags(['--sise', '1'], SPECS, '')).toThrow(DataScriptError);
    expect(() => parseFlags(['256'], SPECS, '')).toThrow(DataScriptError);
    expect(() => parseFlags(['--size'], SPECS, '')).toThrow(/needs a value/);
  });
});

describe('numberFlag / integerListFlag', () => {
  it('validates numbers', () => {
    expect(numberFlag({ size: '256' }, 'size', { integer: true, min: 8 })).toBe(256);
    expect(() => numberFlag({ size: '2.5' }, 'size', { integer: true })).toThrow(/integer/);
    expect(() => numberFlag({ size: '4' }, 'size', { min: 8 })).toThrow(/at least 8/);
    expect(() => numberFlag({ size: '' }, 'size')).toThrow(DataScriptError);
  });

  it('validates integer lists', () => {
    expect(integerListFlag({ scales: '4, 8' }, 'scales')).toEqual([4, 8]);
    expect(() => integerListFlag({ scales: '4,0' }, 'scales')).toThrow(DataScriptError);
  });
});
