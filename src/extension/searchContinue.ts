/**
 * Continue (+N attempts): more attempts for a search. One that ended is opened again (the limit that
 * ended it lifted); one without a driver (its window or process ended) is driven here again — only
 * when the user asks for it, here or in the notification after a reload.
 */
import { AxiomError, continueSearch, isDriven, type Search } from '../core';
import { Cancelled, type Invocation } from './invocation';
import { isEnded } from './searches';
import { searchOf } from './searchPick';
import type { Services } from './services';

export interface ContinueSearchResult {
  search: Search;
  /** This window drives it now. */
  driving: boolean;
}

export async function continueSearchCommand(s: Services, inv: Invocation): Promise<ContinueSearchResult> {
  const { model, search } = await searchOf(s, inv, (x) => !x.landed);
  // A search that runs without a driver may go on with no more attempts: it resumes where it was.
  const min = isEnded(search) ? 1 : 0;
  let more: number | undefined = inv.args?.attempts;
  if (more === undefined) {
    if (inv.headless) {
      if (min > 0) throw new AxiomError('InvalidArgument', `Search ${search.name} has ended: pass { attempts } to give it more.`);
      more = 0;
    } else {
      const text = await inv.text('attempts', {
        title: `Continue Search ${search.name}`,
        prompt: `More attempts (it has made ${search.nodes.length - 1} of ${search.budget.attempts})${min === 0 ? '; 0 just drives it again' : ''}`,
        value: String(min === 0 && !isDriven(search) ? 0 : 5),
        validateInput: (v) => (/^\d+$/.test(v.trim()) && Number(v) >= min ? null : `A whole number ≥ ${min}.`),
      });
      if (text === undefined) throw new Cancelled();
      more = Number(text);
    }
  }
  const continued = await continueSearch(model.engine.git, model.engine.repo, search.name, more);
  // A live driver (here or elsewhere) reads the new budget at its next look; otherwise this window drives it.
  const driving = s.searches.drivesHere(model, search.name) || !isDriven(continued);
  if (driving) void s.searches.drive(model, search.name);
  s.log.info(`Search ${search.name}: ${more} more attempts (${continued.budget.attempts} in all)${driving ? ', driven here' : ''}.`);
  await s.searches.of(model).refresh();
  return { search: continued, driving };
}
