/**
 * pipelines/detections.sql in process, scored against the generator's labels: each of the nine
 * scenarios injected alone into normal traffic (seeded, simulated time) is detected, with the
 * label's actor, within two windows of each episode's start, and nobody else is; ten simulated
 * minutes of normal traffic raise nothing; an UPDATE of a threshold judges the windows counted
 * after it (those judged before stay), an INSERT into the allow-list takes detections back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SCENARIOS } from '../../src/generator/scenarios.ts';
import {
  detections,
  falsePositives,
  runStream,
  START_MS,
  scoreEpisodes,
  streamInto,
} from './detection-stream.ts';

for (const [i, scenario] of SCENARIOS.entries()) {
  test(`${scenario}: every episode detected with its actor within two windows, nobody else`, async () => {
    const { engine, labels } = await runStream({ seed: 11 + i, scenarios: [scenario], seconds: 200 });
    try {
      const errors = engine.viewStats().filter((s) => s.errors > 0);
      assert.deepEqual(errors, [], 'no view skipped a row');
      const found = detections(engine);
      const scores = scoreEpisodes(labels, found);
      const fp = falsePositives(labels, found);
      const times = scores.map((s) => s.windowsToDetect ?? '-').join(', ');
      const detected = scores.filter((s) => s.windowsToDetect !== undefined).length;
      console.log(
        `# ${scenario}: ${detected}/${scores.length} episodes detected, time-to-detect in windows [${times}], false positives ${fp.length}`,
      );
      assert.ok(labels.length >= 2, `${scenario}: at least two episodes ran (${labels.length})`);
      for (const s of scores) {
        const who = s.label.actor_ip ?? s.label.target;
        assert.ok(s.windowsToDetect !== undefined, `${scenario} by ${who} from ${s.label.start} is detected`);
        assert.ok(s.windowsToDetect <= 2, `${scenario} by ${who}: ${s.windowsToDetect} windows to detect`);
      }
      assert.deepEqual(fp, [], `${scenario}: detections of actors that attacked nothing`);
    } finally {
      engine.close();
    }
  });
}

test('ten simulated minutes of normal traffic raise no detection', async () => {
  const { engine, records } = await runStream({ seed: 5, scenarios: [], seconds: 600 });
  try {
    const found = detections(engine);
    console.log(`# normal traffic: ${records.length} events in 10 min, ${found.length} detections`);
    assert.ok(records.length > 100_000);
    assert.ok(engine.rows('detection_endpoint_minutes').length > 0, 'the rules saw the traffic');
    assert.deepEqual(found, []);
  } finally {
    engine.close();
  }
});

test('an UPDATE of a threshold judges the windows counted from then on; the allow-list takes past detections back', async () => {
  const { engine, labels } = await runStream({ seed: 3, scenarios: ['brute-force', 'flood'], seconds: 90 });
  try {
    const ofScenario = (scenario: string) => detections(engine).filter((d) => d.scenario === scenario);
    const bruteForce = ofScenario('brute-force');
    assert.ok(bruteForce.length > 0);
    const setFailedLogins = async (value: number) => {
      await engine.execute(
        `UPDATE detection_thresholds SET value = ${value} WHERE scenario = 'brute-force' AND name = 'failed_logins'`,
      );
      engine.flush();
    };
    // Each part after a pause of three minutes, so that no window holds events of two parts.
    let resumeMs = START_MS + 90_000;
    const more = (seed: number) => {
      resumeMs += 180_000;
      const part = streamInto(engine, { seed, scenarios: ['brute-force'], seconds: 120, startMs: resumeMs });
      const from = resumeMs * 1000;
      resumeMs += 120_000;
      return {
        labels: part.labels,
        found: () => ofScenario('brute-force').filter((d) => d.windowEnd > from),
      };
    };

    await setFailedLogins(1e9);
    assert.deepEqual(ofScenario('brute-force'), bruteForce, 'the detections made stay');
    const unjudged = more(4);
    assert.ok(unjudged.labels.length > 0, 'brute force went on');
    assert.deepEqual(unjudged.found(), [], 'a threshold above every count detects nothing new');

    await setFailedLogins(6);
    const judged = more(5);
    const scores = scoreEpisodes(judged.labels, judged.found());
    assert.ok(
      scores.length > 0 && scores.every((sc) => sc.windowsToDetect !== undefined),
      'the default detects again',
    );

    const flooder = labels.find((l) => l.scenario === 'flood')?.actor_ip as string;
    assert.ok(ofScenario('flood').some((d) => d.actor === flooder));
    await engine.execute(`INSERT INTO detection_allowlist VALUES ('${flooder}', 'load test')`);
    engine.flush();
    assert.deepEqual(
      detections(engine).filter((d) => d.actor === flooder),
      [],
      'an allow-listed actor is in no detection, past ones included',
    );
    assert.ok(
      engine.rows('detection_flood').some((r) => r[1] === flooder),
      'the rule view still holds it',
    );
    await engine.execute(`DELETE FROM detection_allowlist WHERE actor = '${flooder}'`);
    engine.flush();
    assert.ok(ofScenario('flood').some((d) => d.actor === flooder));
  } finally {
    engine.close();
  }
});
