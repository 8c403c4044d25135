/**
 * LabOptions and what startLab makes of them before anything starts: the
 * ports checked, the catalogue tuned to the timings asked for, and the hosts
 * chosen. Throws INVALID_INPUT; pure otherwise.
 */
import { invalidInput } from '../errors.js';
import type { BlackholeMethod } from './blackhole.js';
import type { LabHostSpec } from './hosts.js';
import type { Personality } from './personality.js';
import { LAB_SCENARIOS } from './scenarios.js';

/** LabOptions: what to start and where. */
export interface LabOptions {
  /** port: the SMTP port of every host; default 2525; 0: one free port for all of them (parallel tests). */
  port?: number;
  /** dnsPort: the DNS port (UDP and TCP); default 2553, or a free one when `port` is 0; 0: a free one. */
  dnsPort?: number;
  /** httpsPort: the HTTPS port (MTA-STS policies, DoH); default 2443, or a free one when `port` is 0; 0: a free one. */
  httpsPort?: number;
  /**
   * hosts: what to start: personality names (`esmtp`: its own host), host
   * names (`mx1.mlfarm.test`) or scenario domains (`blackhole.test`: all its
   * hosts); default all. DNS always serves the whole zone.
   */
  hosts?: string[];
  /** personalities: the catalogue to draw from (default PERSONALITIES), e.g. one with a shorter slow-greeting delay. */
  personalities?: readonly Personality[];
  /** blackhole: how to make the blackhole; default 'auto' (nftables when root with nft, else a full accept queue). */
  blackhole?: BlackholeMethod | 'auto';
  /** greylistDelayMs: how long greylisting hosts (greylist.test) defer a new triplet; default GREYLIST_DELAY_MS (2 s). */
  greylistDelayMs?: number;
  /** throttleSleepMs: the per-reply sleep of hosts with error limits (throttle.test) once over the soft limit; default 1 s, as Postfix. */
  throttleSleepMs?: number;
  /**
   * sites: how many audit sites to add (0 to MAX_SITES; default 0): the domains
   * siteDomains(sites) names, under sites.test, with their hosts on 127.1.0.0/16
   * and up, whatever `hosts` says. Each SMTP host is a listening socket, so the
   * open-file limit must allow them (see docs/lab.md).
   */
  sites?: number;
}

function selects(h: LabHostSpec, key: string): boolean {
  return (
    h.name === key || h.scenario === key || (h.scenario === null && h.personality.name === key)
  );
}

/** choose: the hosts `keys` name (all without keys); throws naming the choices for a key that names none. */
export function choose(table: LabHostSpec[], keys: string[] | undefined): LabHostSpec[] {
  if (!keys) return table;
  const domains = new Set(LAB_SCENARIOS.map((s) => s.domain));
  const unknown = keys.filter((k) => !domains.has(k) && !table.some((h) => selects(h, k)));
  if (unknown.length > 0) {
    const choices = [
      ...table.filter((h) => h.scenario === null).map((h) => h.personality.name),
      ...domains,
    ];
    throw invalidInput(
      `unknown lab host ${unknown.join(', ')}; choose from ${choices.join(', ')}, or a host name`,
    );
  }
  return table.filter((h) => keys.some((k) => selects(h, k)));
}

/** checkPort: a port number, or INVALID_INPUT naming `what`. */
export function checkPort(port: number, what: string): number {
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw invalidInput(`${what} ${port} is not a whole number from 0 to 65535`);
  return port;
}

function checkMs(ms: number | undefined, what: string): number | undefined {
  if (ms !== undefined && !(Number.isFinite(ms) && ms >= 0))
    throw invalidInput(`${what} ${ms} is not a duration in milliseconds (0 or more)`);
  return ms;
}

/** tune: the catalogue with the LabOptions timings applied to the personalities that have them. */
export function tune(catalogue: readonly Personality[], opts: LabOptions): readonly Personality[] {
  const grey = checkMs(opts.greylistDelayMs, 'greylistDelayMs');
  const sleep = checkMs(opts.throttleSleepMs, 'throttleSleepMs');
  return catalogue.map((p) => ({
    ...p,
    ...(grey !== undefined && p.rcpt?.greylist
      ? { rcpt: { ...p.rcpt, greylist: { ...p.rcpt.greylist, delayMs: grey } } }
      : {}),
    ...(sleep !== undefined && p.errorLimits
      ? { errorLimits: { ...p.errorLimits, sleepMs: sleep } }
      : {}),
  }));
}
