import { describe, expect, it } from 'vitest';
import { SchedulerConfigError, SchedulerUsageError, TIMESTEP_SPACINGS } from '../src/index.js';
import { spaceTimesteps } from '../src/schedulers/index.js';
import { at, loadNumpyTimesteps } from './helpers.js';

const ref = loadNumpyTimesteps();
const T = ref.num_train_timesteps;

describe('spaceTimesteps vs numpy-evaluated diffusers 0.25 formulas', () => {
  it('leading (steps_offset 1) matches for every count', () => {
    let refused = 0;
    for (const [n, expected] of Object.entries(ref.leading)) {
      const run = () =>
        spaceTimesteps({ spacing: 'leading', numInferenceSteps: Number(n), numTrainTimesteps: T, stepsOffset: ref.steps_offset });
      if (at(expected, 0) >= T) {
        // diffusers returns timestep T here, which then fails as an index in step(); refuse up front.
        expect(run, `n=${n}`).toThrow(SchedulerConfigError);
        refused++;
      } else {
        expect(run(), `n=${n}`).toEqual(expected);
      }
    }
    expect(refused).toBe(1);
  });

  it('linspace matches for every count, including half-to-even rounding', () => {
    for (const [n, expected] of Object.entries(ref.linspace)) {
      const got = spaceTimesteps({ spacing: 'linspace', numInferenceSteps: Number(n), numTrainTimesteps: T, stepsOffset: 5 });
      expect(got, `n=${n}`).toEqual(expected);
    }
    // 999 / 6 = 166.5 rounds to the even 166 (Math.round would give 167).
    expect(ref.linspace['7']).toContain(166);
  });

  it('trailing matches wherever numpy yields n timesteps', () => {
    const overshoot = new Set(ref.trailing_overshoot_counts);
    let checked = 0;
    for (const [n, expected] of Object.entries(ref.trailing)) {
      if (overshoot.has(Number(n))) continue;
      const got = spaceTimesteps({ spacing: 'trailing', numInferenceSteps: Number(n), numTrainTimesteps: T });
      expect(got, `n=${n}`).toEqual(expected);
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('trailing drops the spurious -1 numpy appends for some counts', () => {
    expect(ref.trailing_overshoot_counts.length).toBeGreaterThan(0);
    for (const n of ref.trailing_overshoot_counts) {
      const numpy = ref.trailing[String(n)] ?? [];
      expect(numpy.length).toBe(n + 1);
      expect(numpy[n]).toBe(-1);
      const got = spaceTimesteps({ spacing: 'trailing', numInferenceSteps: n, numTrainTimesteps: T });
      expect(got, `n=${n}`).toEqual(numpy.slice(0, n));
    }
  });

  it('every spacing gives n distinct descending timesteps in range', () => {
    for (const spacing of TIMESTEP_SPACINGS) {
      for (const n of [1, 3, 7, 61, 999, 1000]) {
        const ts = spaceTimesteps({ spacing, numInferenceSteps: n, numTrainTimesteps: T, stepsOffset: spacing === 'leading' && n < 1000 ? 1 : 0 });
        expect(ts.length).toBe(n);
        expect(ts.every((t, i) => Number.isInteger(t) && t >= 0 && t < T && (i === 0 || t < at(ts, i - 1)))).toBe(true);
      }
    }
  });
});

describe('spaceTimesteps errors', () => {
  it('rejects step counts outside [1, T]', () => {
    for (const n of [0, -1, 1.5, T + 1, Number.NaN]) {
      expect(() => spaceTimesteps({ spacing: 'leading', numInferenceSteps: n, numTrainTimesteps: T })).toThrow(SchedulerUsageError);
    }
  });

  it('rejects an offset that leaves the schedule and an unknown spacing', () => {
    expect(() => spaceTimesteps({ spacing: 'leading', numInferenceSteps: T, numTrainTimesteps: T, stepsOffset: 1 })).toThrow(
      /steps_offset/,
    );
    expect(() =>
      spaceTimesteps({ spacing: 'karras' as 'leading', numInferenceSteps: 4, numTrainTimesteps: T }),
    ).toThrow(SchedulerConfigError);
  });
});
