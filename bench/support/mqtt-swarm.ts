/**
 * Load-generator child process (forked by swarm-client.ts): many simulated devices over raw sockets, each
 * one CONNECT, one SUBSCRIBE (its upgrade topic, like a real device) and, on request, a stream of QoS 1
 * PUBLISHes with a bounded number in flight. Answers each command from the parent over IPC.
 */
import { readFileSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connectPacket, frameSplitter, PacketType, publishQos1, subscribePacket } from './mqtt-wire.js';
import type { PublishReport, SwarmCommand, SwarmDevice, ConnectReport } from './swarm-client.js';

interface Sim {
  readonly device: SwarmDevice;
  socket?: Socket;
  ready: boolean;
  messageId: number;
  seq: number;
  inFlight: number;
  lastStep: number;
  topic?: Buffer;
}

let sims: Sim[] = [];
let dropped = 0;
interface Publishing {
  sending: boolean;
  inWindow: boolean;
  acked: number;
  ackedInWindow: number;
  sent: number;
}
let publishing: Publishing | undefined;

const cpuS = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;
const reply = (message: object) => process.send!(message);

function sendNext(sim: Sim): void {
  const p = publishing!;
  sim.seq++;
  sim.messageId = sim.messageId === 65_535 ? 1 : sim.messageId + 1;
  // Steps 1–99 in turn, so that the stored step of each device shows which message was persisted last.
  sim.lastStep = (sim.seq % 99) + 1;
  const payload = Buffer.from(`{"id":"${sim.seq}","params":{"step":"${sim.lastStep}","desc":"downloading"}}`);
  sim.inFlight++;
  p.sent++;
  sim.socket!.write(publishQos1(sim.topic!, sim.messageId, payload));
}

function onPuback(sim: Sim): void {
  const p = publishing;
  if (p === undefined) return;
  sim.inFlight--;
  p.acked++;
  if (p.inWindow) p.ackedInWindow++;
  if (p.sending) sendNext(sim);
}

function connectAll(cmd: Extract<SwarmCommand, { type: 'connect' }>): void {
  const devices = (JSON.parse(readFileSync(cmd.devicesFile, 'utf8')) as SwarmDevice[]).slice(cmd.from, cmd.to);
  sims = devices.map((device) => ({ device, ready: false, messageId: 0, seq: 0, inFlight: 0, lastStep: 0 }));
  const cpuBefore = process.cpuUsage();
  const firstAt = Date.now();
  let next = 0;
  let settled = 0;
  let connected = 0;
  let refused = 0;
  let failed = 0;
  const finish = () => {
    if (++settled === sims.length) {
      const report: ConnectReport = { type: 'connected', connected, refused, failed, firstAt, lastAt: Date.now(), cpuS: cpuS(process.cpuUsage(cpuBefore)) };
      reply(report);
    } else launch();
  };
  const launch = () => {
    if (next >= sims.length) return;
    const sim = sims[next++]!;
    let done = false;
    const settle = (outcome: 'ok' | 'refused' | 'failed') => {
      if (done) return;
      done = true;
      if (outcome === 'ok') connected++;
      else if (outcome === 'refused') refused++;
      else failed++;
      finish();
    };
    const socket = tcpConnect({ host: cmd.host, port: cmd.port });
    sim.socket = socket;
    socket.setNoDelay(true);
    socket.on('connect', () => socket.write(connectPacket({ ...sim.device, keepaliveS: cmd.keepaliveS })));
    socket.on(
      'data',
      frameSplitter((type, body) => {
        if (type === PacketType.PUBACK) onPuback(sim);
        else if (type === PacketType.CONNACK) {
          if (body[1] !== 0) return settle('refused');
          socket.write(subscribePacket(1, sim.device.subscribe));
        } else if (type === PacketType.SUBACK) {
          if (body[2] === 0x80) return settle('refused');
          sim.ready = true;
          settle('ok');
        }
      }),
    );
    socket.on('error', () => settle('failed'));
    socket.on('close', () => {
      if (sim.ready) dropped++;
      sim.ready = false;
      settle('failed');
    });
  };
  for (let i = 0; i < Math.min(cmd.concurrency, sims.length); i++) launch();
  if (sims.length === 0) reply({ type: 'connected', connected: 0, refused: 0, failed: 0, firstAt, lastAt: firstAt, cpuS: 0 } satisfies ConnectReport);
}

function publishAll(cmd: Extract<SwarmCommand, { type: 'publish' }>): void {
  const p: Publishing = { sending: true, inWindow: false, acked: 0, ackedInWindow: 0, sent: 0 };
  publishing = p;
  let windowCpu: NodeJS.CpuUsage | undefined;
  let windowS = 0;
  const active = sims.filter((s) => s.ready);
  for (const sim of active) sim.topic = Buffer.from(sim.device.publishTopic!);
  setTimeout(() => {
    p.inWindow = true;
    windowCpu = process.cpuUsage();
  }, cmd.windowStartAt - Date.now());
  setTimeout(() => {
    p.inWindow = false;
    p.sending = false;
    windowS = (cmd.windowEndAt - cmd.windowStartAt) / 1000;
    const generatorCpuS = cpuS(process.cpuUsage(windowCpu));
    // Every message sent gets its PUBACK before the report (bounded: a lost one shows as `unacked`).
    const deadline = Date.now() + 20_000;
    const drained = setInterval(() => {
      const unacked = active.reduce((n, s) => n + s.inFlight, 0);
      if (unacked > 0 && Date.now() < deadline) return;
      clearInterval(drained);
      const report: PublishReport = {
        type: 'published',
        ackedInWindow: p.ackedInWindow,
        acked: p.acked,
        sent: p.sent,
        unacked,
        windowS,
        generatorCpuS,
        dropped,
        lastSteps: active.map((s) => ({ username: s.device.username, step: s.lastStep, acked: s.inFlight === 0 })),
      };
      publishing = undefined;
      reply(report);
    }, 20);
  }, cmd.windowEndAt - Date.now());
  for (const sim of active) for (let i = 0; i < cmd.inFlight; i++) sendNext(sim);
}

process.on('message', (cmd: SwarmCommand) => {
  if (cmd.type === 'connect') connectAll(cmd);
  else if (cmd.type === 'publish') publishAll(cmd);
  else if (cmd.type === 'status') reply({ type: 'status', ready: sims.filter((s) => s.ready).length, dropped });
  else if (cmd.type === 'close') {
    for (const sim of sims) sim.socket?.destroy();
    reply({ type: 'closed' });
  }
});
reply({ type: 'hello' });
