// Checks on what reaches the shim's command line. The engine validates its RPC parameters too;
// these are the runtime's own preconditions, so that a bad value is an InvalidParams error with a
// clear message instead of a shim usage error or, worse, an option string read differently.
import { isAbsolute } from 'node:path';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import { patterns } from '../protocol/methods';
import type { ExecSpec, LaunchSpec, TerminalSize } from './types';

const CONTAINER_ID = patterns.containerId;
const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,62})$/;
const USER = /^(?:[A-Za-z0-9_.][A-Za-z0-9_.-]{0,63})?(?::[A-Za-z0-9_.][A-Za-z0-9_.-]{0,63})?$/;

function invalid(message: string): StrataError {
  return new StrataError(ErrorCode.InvalidParams, message);
}

export function checkContainerId(id: string): void {
  if (!CONTAINER_ID.test(id)) throw invalid(`container id must be 64 lowercase hex digits: ${JSON.stringify(id)}`);
}

/** Paths go into "SRC:DST" binds and overlay options, where ':' and ',' are separators. */
export function checkHostPath(path: string, what: string): void {
  if (!isAbsolute(path)) throw invalid(`${what} must be an absolute path: ${JSON.stringify(path)}`);
  if (/[,:\\\n\0]/.test(path)) throw invalid(`${what} must not contain , : \\ or control characters: ${JSON.stringify(path)}`);
}

export function checkSize(size: TerminalSize | undefined): void {
  if (!size) return;
  for (const n of [size.cols, size.rows]) {
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw invalid(`terminal size must be 1..65535: ${JSON.stringify(size)}`);
  }
}

export function checkProcessSpec(spec: ExecSpec): void {
  if (!Array.isArray(spec.cmd) || spec.cmd.length === 0) throw invalid('no command given');
  for (const arg of spec.cmd) if (typeof arg !== 'string' || arg.includes('\0')) throw invalid('command arguments must be strings without NUL');
  for (const kv of spec.env) {
    if (typeof kv !== 'string' || kv.includes('\0') || kv.indexOf('=') < 1) throw invalid(`environment entries must be K=V: ${JSON.stringify(kv)}`);
  }
  if (spec.cwd && !spec.cwd.startsWith('/')) throw invalid(`working directory must be absolute: ${JSON.stringify(spec.cwd)}`);
  if (spec.cwd.includes('\0')) throw invalid('working directory must not contain NUL');
  if (!USER.test(spec.user)) throw invalid(`user must be NAME|UID[:GROUP|GID]: ${JSON.stringify(spec.user)}`);
  checkSize(spec.size);
  // What reaches the shim's --caps and --rlimit: a mask of known bits, names from the shim's table.
  if (spec.capabilities !== undefined && (typeof spec.capabilities !== 'bigint' || spec.capabilities < 0n || spec.capabilities >= 1n << 41n)) {
    throw invalid(`capability mask out of range: ${String(spec.capabilities)}`);
  }
  for (const u of spec.ulimits ?? []) {
    if (!/^[a-z]{2,10}$/.test(u.name) || !Number.isSafeInteger(u.soft) || !Number.isSafeInteger(u.hard) || u.soft < -1 || u.hard < -1) {
      throw invalid(`bad ulimit ${JSON.stringify(u)}`);
    }
  }
}

export function checkLaunchSpec(spec: LaunchSpec): void {
  checkContainerId(spec.id);
  checkHostPath(spec.storeRoot, 'store root');
  checkHostPath(spec.containerDir, 'container dir');
  if (spec.hostname && !HOSTNAME.test(spec.hostname)) throw invalid(`bad hostname ${JSON.stringify(spec.hostname)}`);
  if (spec.network !== 'none' && spec.network !== 'host') throw invalid(`network must be none or host: ${JSON.stringify(spec.network)}`);
  if (spec.memoryBytes !== undefined && (!Number.isSafeInteger(spec.memoryBytes) || spec.memoryBytes < 4 * 1024 * 1024)) {
    throw invalid(`memory limit must be a whole number of bytes, at least 4 MiB: ${spec.memoryBytes}`);
  }
  if (spec.pidsLimit !== undefined && !Number.isSafeInteger(spec.pidsLimit)) throw invalid(`pids limit must be an integer: ${spec.pidsLimit}`);
  for (const n of [spec.nanoCpus, spec.cpuShares]) if (n !== undefined && (!Number.isSafeInteger(n) || n < 2)) throw invalid(`cpu limit must be a positive integer: ${n}`);
  // each becomes one line of /etc/hosts: no newline, space or tab may add lines or names of its own
  for (const h of spec.extraHosts ?? []) if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*:[0-9A-Fa-f:.]+$/.test(h)) throw invalid(`bad extra host ${JSON.stringify(h)}`);
  checkProcessSpec(spec);
}
