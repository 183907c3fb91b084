/**
 * Is the agent's program installed? Every front end asks before it launches an agent (a missing
 * program must never read as a quiet "clean" instance), and the agent picker marks the ones missing.
 */
import { findExecutable } from './headless';
import type { AgentPreset } from './presets';

export interface ProgramCheck {
  program: string;
  /** The resolved path, or null when the program is not there. */
  found: string | null;
}

/** Checks `program` (a bare name on `envPath`, or a path relative to `cwd`). */
export function checkProgram(program: string, cwd: string, envPath: string): ProgramCheck {
  return { program, found: findExecutable(program, cwd, envPath) };
}

/** What to tell the person when the program is missing: what, where it was looked for, how to fix it. */
export function missingProgramMessage(preset: AgentPreset, program: string, where: string): string {
  const what = preset.name === 'custom' ? `The custom agent's program ${JSON.stringify(program)}` : `${preset.label} (${JSON.stringify(program)})`;
  const fix = preset.install ? `Install it (${preset.install}) or pick another agent.` : 'Check the command (axiom.customAgentCommand) or pick another agent.';
  return `${what} was not found on the PATH of ${where}. ${fix}`;
}
