/** Sort By…: the order of the Instances view (a setting, so every window of the user agrees). */
import * as vscode from 'vscode';
import { Cancelled, type Invocation } from './invocation';
import { SORT_KEYS, type SortKey } from './presentation';
import { readSettings } from './settings';

const HELP: Record<SortKey, string> = {
  name: 'by id, numbers in order: try-2 before try-10',
  created: 'oldest first',
  state: 'what needs you first: conflicts, waiting for input, failed, working …',
  activity: 'latest agent event or commit first',
};

export async function sortByCommand(inv: Invocation): Promise<SortKey> {
  const current = readSettings().sortBy;
  const key = await inv.pick(
    'sortBy',
    SORT_KEYS.map((k) => ({ label: k, description: k === current ? 'current' : '', detail: HELP[k], value: k })),
    { title: 'Sort Instances By', placeHolder: `Now sorted by ${current}` },
  );
  if (key === undefined) throw new Cancelled();
  await vscode.workspace.getConfiguration('axiom').update('sortBy', key, vscode.ConfigurationTarget.Global);
  return key;
}
