import { describe, expect, test } from 'vitest';
import { DOCKER_DEFAULT, staleDockerReasons } from './docker-data.js';
import { DOCKER_DEFAULT_DERIVED } from './moby/status.js';

describe('Docker reasons beside the derived statuses', () => {
  test('every written reason still matches the embedded profile, and every condition has one', () => {
    expect(staleDockerReasons()).toEqual([]);
  });

  test('the table holds every name of the profile with its derived status', () => {
    for (const [name, d] of DOCKER_DEFAULT_DERIVED)
      expect(DOCKER_DEFAULT[name], name).toEqual({ ...d, reason: DOCKER_DEFAULT[name]?.reason });
  });
});
