import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inverseNormalCdf } from '../../src/generator/normal-quantiles.ts';
import { Random, WeightedTable } from '../../src/generator/random.ts';

test('a seed and stream always give the same sequence; other seeds and streams differ', () => {
  const draw = (random: Random): number[] => Array.from({ length: 5 }, () => random.float());
  assert.deepEqual(draw(new Random(7)), draw(new Random(7)));
  assert.notDeepEqual(draw(new Random(7)), draw(new Random(8)));
  assert.notDeepEqual(draw(new Random(7, 1)), draw(new Random(7, 2)));
});

test('uniform, normal and weighted draws have the intended distributions', () => {
  const random = new Random(99);
  const n = 200_000;
  let sum = 0;
  let below = 0;
  let sumNormal = 0;
  let sumSquares = 0;
  for (let i = 0; i < n; i++) {
    const u = random.float();
    assert.ok(u >= 0 && u < 1);
    sum += u;
    if (u < 0.1) below += 1;
    const z = random.normal();
    sumNormal += z;
    sumSquares += z * z;
  }
  assert.ok(Math.abs(sum / n - 0.5) < 0.005);
  assert.ok(Math.abs(below / n - 0.1) < 0.005);
  assert.ok(Math.abs(sumNormal / n) < 0.01);
  assert.ok(Math.abs(Math.sqrt(sumSquares / n) - 1) < 0.02);
  assert.ok(Math.abs(inverseNormalCdf(0.975) - 1.959964) < 1e-6);
  assert.ok(Math.abs(inverseNormalCdf(0.001) + 3.090232) < 1e-6);

  const table = new WeightedTable([
    ['a', 6],
    ['b', 3],
    ['c', 1],
  ]);
  const counts = { a: 0, b: 0, c: 0 };
  for (let i = 0; i < n; i++) counts[table.pick(random) as keyof typeof counts] += 1;
  assert.ok(Math.abs(counts.a / n - 0.6) < 0.01 && Math.abs(counts.c / n - 0.1) < 0.005);
  assert.throws(() => new WeightedTable([['a', 0]]), /positive/);
});
