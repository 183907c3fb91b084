/** An engine refusal's next step (details.hint) in the CLI's words: flags and commands to type. */
import type { AxiomError, HintOption, NextStep } from '../core';
import { quoteArg } from '../core/processes/shellQuote';

const FLAGS: Record<HintOption, { flag: string; placeholder: string }> = {
  pick: { flag: '--pick', placeholder: '<id>' },
  command: { flag: '--command', placeholder: '"<template>"' },
  evaluate: { flag: '--evaluate', placeholder: '"<template>"' },
  agentCommand: { flag: '--agent-command', placeholder: '"<template>"' },
  remote: { flag: '--remote', placeholder: '<name>' },
};

function stepText(step: NextStep): string {
  if ('option' in step) {
    const { flag, placeholder } = FLAGS[step.option];
    return `pass ${flag} ${step.value !== undefined ? quoteArg(step.value) : placeholder}`;
  }
  if ('config' in step) return `set "${step.config}" in .axiom.json`;
  return 'task' in step ? `run axiom evaluate --race ${quoteArg(step.task)}` : `run axiom evaluate ${quoteArg(step.id)}`;
}

/** "Next: run axiom evaluate --race login, or pass --pick <id>." — empty without a hint. */
export function cliHint(e: AxiomError): string {
  const next = e.details.hint?.next ?? [];
  return next.length ? `Next: ${next.map(stepText).join(', or ')}.` : '';
}
