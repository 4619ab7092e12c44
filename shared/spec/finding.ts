/** What a semantic check reports before paths are rendered. */
import type { PathSegments } from './paths';

/**
 * A semantic problem. `dependsOn` names the other fields its truth rests on: when one of
 * them was itself invalid (and replaced by its default to keep checking), the finding is
 * dropped rather than reported against a value the user never sent.
 */
export interface Finding {
  path: PathSegments;
  message: string;
  dependsOn?: PathSegments[];
}
