/**
 * How the tool answers: a JSON document on success, a tool error (isError) with a code on failure.
 * The engine's error codes pass through unchanged; McpRefusal carries the few only this layer makes.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { isAxiomError, type AxiomError, type HintOption, type NextStep } from '../core';

/** The tool's argument for each option an engine hint names (the evaluation command is `evaluate` here). */
const ARGUMENTS: Record<HintOption, string> = { pick: 'pick', command: 'evaluate', evaluate: 'evaluate', agentCommand: 'command', remote: 'remote' };

function stepText(step: NextStep): string {
  if ('option' in step) return `pass the argument "${ARGUMENTS[step.option]}"${step.value !== undefined ? ` (e.g. ${JSON.stringify(step.option === 'agentCommand' ? step.value.split(' ') : step.value)})` : ''}`;
  if ('config' in step) return `set "${step.config}" in .axiom.json`;
  return `call action "evaluate" with ${'task' in step ? `task ${JSON.stringify(step.task)}` : `instanceId ${JSON.stringify(step.id)}`}`;
}

/** An engine refusal's next step (details.hint) in the tool's words: actions and argument names. */
export function mcpHint(e: AxiomError): string {
  const next = e.details.hint?.next ?? [];
  return next.length ? `Next: ${next.map(stepText).join(', or ')}.` : '';
}

/** Codes of refusals that only the MCP layer makes (the engine's codes pass through unchanged). */
export type McpOnlyCode = 'IsolationRequired' | 'NotOwned' | 'AgentNotRunning' | 'AgentNotFound' | 'InputNotSupported' | 'LaunchFailed' | 'Unexpected';

export class McpRefusal extends Error {
  constructor(
    readonly code: McpOnlyCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

export function ok(value: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: json(value) }], structuredContent: value };
}

/** Turns anything thrown into a tool error with a code and a message an agent can act on. */
export function toolError(e: unknown): CallToolResult {
  let code: string;
  let message: string;
  let details: Record<string, unknown> = {};
  if (isAxiomError(e)) {
    code = e.code;
    const hint = mcpHint(e);
    message = hint ? `${e.message} ${hint}` : e.message;
    details = { ...e.details };
    delete details.stderr; // the message already carries git's first line; keep the answer short
  } else if (e instanceof McpRefusal) {
    code = e.code;
    message = e.message;
    details = e.details;
  } else {
    code = 'Unexpected';
    message = e instanceof Error ? e.message : String(e);
  }
  const error = { code, message, ...(Object.keys(details).length ? { details } : {}) };
  return {
    isError: true,
    content: [{ type: 'text', text: `${code}: ${message}${Object.keys(details).length ? `\n${json(details)}` : ''}` }],
    structuredContent: { error },
  };
}
