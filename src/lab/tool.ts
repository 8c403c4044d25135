/** runTool: run a system tool (nft) to completion, for the lab's blackhole. Never throws: a missing tool is code -1. */
import { spawn } from 'node:child_process';

/** ToolResult: exit code (-1 when the tool could not be started), and what it printed. */
export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

// No nft command takes this long; a hung one must not hang startLab or close.
const TOOL_TIMEOUT_MS = 5_000;

/** runTool: `command args…` with `input` on stdin; see the module comment. */
export function runTool(command: string, args: readonly string[], input = ''): Promise<ToolResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: TOOL_TIMEOUT_MS,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdin.on('error', () => undefined);
    child.once('error', (err) => resolve({ code: -1, stdout, stderr: err.message }));
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}
