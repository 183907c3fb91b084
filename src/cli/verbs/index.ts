/** Every `axiom` verb, in the order `--help` lists them. A new verb is one file here plus one line. */
import type { Verb } from '../context';
import { claude } from './claude';
import { cleanup } from './cleanup';
import { completion } from './completion';
import { conflicts } from './conflicts';
import { diff } from './diff';
import { evaluate } from './evaluate';
import { help } from './help';
import { history } from './history';
import { land } from './land';
import { list } from './list';
import { mcp } from './mcp';
import { race } from './race';
import { rank } from './rank';
import { merge } from './merge';
import { publish } from './publish';
import { repair } from './repair';
import { salvage } from './salvage';
import { search } from './search';
import { setAgent } from './setAgent';
import { setup } from './setup';
import { spawn } from './spawn';
import { status } from './status';
import { stop } from './stop';

export const VERBS: Record<string, Verb> = {
  spawn,
  setup,
  list,
  status,
  stop,
  'set-agent': setAgent,
  diff,
  merge,
  publish,
  cleanup,
  salvage,
  repair,
  race,
  evaluate,
  rank,
  land,
  search,
  conflicts,
  history,
  mcp,
  claude,
  help,
  completion,
};
