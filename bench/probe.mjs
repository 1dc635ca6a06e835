// Preloaded (`node --expose-gc --import ./bench/probe.mjs …`) into every server a bench measures,
// hubtls and the bare baseline alike, so both are observed the same way. It answers the bench
// runner over the IPC channel: event-loop delay since the last reset, and memory after a full GC.
import { monitorEventLoopDelay } from 'node:perf_hooks';

const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();

function snapshot(gc) {
  // Read the delay first: the forced GC below would show up as a stall of its own.
  const el = { maxMs: delay.max / 1e6, p99Ms: delay.percentile(99) / 1e6, meanMs: delay.mean / 1e6 };
  if (gc && globalThis.gc) globalThis.gc();
  const m = process.memoryUsage();
  const cpu = process.cpuUsage();
  return {
    el,
    rss: m.rss,
    heapUsed: m.heapUsed,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

if (process.send) {
  process.channel?.unref();
  process.on('message', (msg) => {
    if (!msg || typeof msg !== 'object' || !('probe' in msg)) return;
    if (msg.probe === 'reset') delay.reset();
    process.send({ probe: msg.probe, id: msg.id, ...snapshot(msg.probe === 'snapshot-gc') });
  });
}
