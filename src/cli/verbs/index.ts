/** Every `axiom` verb, in the order `--help` lists them. A new verb is one file here plus one line. */
import type { Verb } from '../context';
import { cleanup } from './cleanup';
import { diff } from './diff';
import { list } from './list';
import { mcp } from './mcp';
import { merge } from './merge';
import { repair } from './repair';
import { salvage } from './salvage';
import { setup } from './setup';
import { spawn } from './spawn';
import { status } from './status';

export const VERBS: Record<string, Verb> = {
  spawn,
  setup,
  list,
  status,
  diff,
  merge,
  cleanup,
  salvage,
  repair,
  mcp,
};
