// The strength meter's estimator: zxcvbn-ts with its common and English dictionaries (its common password
// list is the one the API refuses from, see backend/data/common-passwords.txt). The dictionaries weigh
// about 1 MB, so this module is only ever loaded with `import()` by the new-password fields, never as part
// of a page's own bundle.
import { ZxcvbnFactory } from "@zxcvbn-ts/core";
import * as common from "@zxcvbn-ts/language-common";
import * as en from "@zxcvbn-ts/language-en";

const zxcvbn = new ZxcvbnFactory({
  translations: en.translations,
  graphs: common.adjacencyGraphs,
  dictionary: { ...common.dictionary, ...en.dictionary },
});

export interface Strength {
  /** 0 (too guessable) .. 4 (very unguessable), zxcvbn's scale */
  score: 0 | 1 | 2 | 3 | 4;
  warning: string | null;
  suggestions: string[];
}

/** `userInputs`: the account's email, its local part, the name — words an attacker would try first. */
export function estimate(password: string, userInputs: string[]): Strength {
  // Each word too ("Ada Lovelace" -> "ada", "lovelace"), as the server's rule reads them.
  const words = userInputs.flatMap((s) => [s, ...s.split(/[^\p{L}\p{N}]+/u)]).filter((w) => w.length >= 3);
  const result = zxcvbn.check(password, [...new Set(words.map((w) => w.toLowerCase()))]);
  return {
    score: result.score as Strength["score"],
    warning: result.feedback.warning || null,
    suggestions: result.feedback.suggestions,
  };
}
