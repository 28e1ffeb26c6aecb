// Friendly generated container names in docker's "adjective_surname" shape. The word lists are Berth's own.
import { randomInt } from 'node:crypto';

const ADJECTIVES = [
  'able', 'adoring', 'agile', 'amazing', 'amused', 'ardent', 'artful', 'astute', 'awesome', 'balanced',
  'bashful', 'blissful', 'bold', 'boring', 'brave', 'bright', 'brisk', 'busy', 'calm', 'candid',
  'careful', 'charming', 'cheerful', 'clever', 'cosmic', 'crafty', 'curious', 'daring', 'dazzling', 'deft',
  'devoted', 'dreamy', 'eager', 'earnest', 'elated', 'elegant', 'epic', 'fearless', 'fervent', 'festive',
  'fluent', 'focused', 'friendly', 'frosty', 'funny', 'gallant', 'gentle', 'gifted', 'gleeful', 'graceful',
  'happy', 'hardy', 'hearty', 'helpful', 'honest', 'hopeful', 'humble', 'inspired', 'jolly', 'jovial',
  'keen', 'kind', 'lively', 'loyal', 'lucid', 'lucky', 'magical', 'mellow', 'merry', 'mighty',
  'modest', 'musing', 'nimble', 'noble', 'patient', 'peaceful', 'pensive', 'placid', 'playful', 'plucky',
  'polite', 'proud', 'quiet', 'quirky', 'radiant', 'relaxed', 'resolute', 'serene', 'sharp', 'sincere',
  'sleepy', 'snappy', 'spirited', 'steady', 'stoic', 'sunny', 'swift', 'tender', 'thoughtful', 'tidy',
  'upbeat', 'valiant', 'vibrant', 'vigilant', 'vivid', 'wise', 'witty', 'youthful', 'zealous', 'zesty',
];

const SURNAMES = [
  'agnesi', 'albattani', 'allen', 'archimedes', 'aryabhata', 'babbage', 'banach', 'bardeen', 'bartik', 'bell',
  'bernoulli', 'bhabha', 'blackwell', 'bohr', 'boole', 'borg', 'bose', 'brahmagupta', 'brattain', 'burnell',
  'cannon', 'cantor', 'carson', 'cerf', 'chandrasekhar', 'chebyshev', 'clarke', 'cohen', 'conway', 'copernicus',
  'cori', 'cray', 'curie', 'darwin', 'descartes', 'dijkstra', 'dirac', 'easley', 'edison', 'einstein',
  'euclid', 'euler', 'faraday', 'fermat', 'fermi', 'feynman', 'franklin', 'galileo', 'galois', 'gauss',
  'germain', 'goldberg', 'goodall', 'gould', 'hamilton', 'hawking', 'heisenberg', 'hertz', 'hilbert', 'hodgkin',
  'holberton', 'hopper', 'hoover', 'hubble', 'hypatia', 'jackson', 'jemison', 'johnson', 'joliot', 'joule',
  'kapitsa', 'kare', 'keller', 'kepler', 'khorana', 'kilby', 'knuth', 'kowalevski', 'lalande', 'lamarr',
  'lamport', 'laplace', 'leakey', 'leavitt', 'lederberg', 'lehmann', 'liskov', 'lovelace', 'lumiere', 'maxwell',
  'mayer', 'mccarthy', 'mcclintock', 'meitner', 'mendel', 'mendeleev', 'merkle', 'minsky', 'mirzakhani', 'morse',
  'napier', 'nash', 'newton', 'nightingale', 'nobel', 'noether', 'noyce', 'ohm', 'pascal', 'pasteur',
  'pauli', 'payne', 'perlman', 'pike', 'planck', 'poincare', 'ptolemy', 'raman', 'ramanujan', 'ritchie',
  'rosalind', 'rubin', 'rutherford', 'sagan', 'salk', 'sammet', 'shannon', 'shockley', 'sinoussi', 'snyder',
  'somerville', 'spence', 'stallman', 'stonebraker', 'sutherland', 'swanson', 'tesla', 'thompson', 'torvalds', 'turing',
  'varahamihira', 'volta', 'wescoff', 'wiles', 'williams', 'wilson', 'wing', 'wozniak', 'wright', 'wu',
  'yalow', 'yonath', 'zhukovsky', 'zuse',
];

const pick = (words: readonly string[]): string => words[randomInt(words.length)]!;

/**
 * A random "adjective_surname". With retry > 0 a digit is appended, as docker does after a name collision.
 * Steve Wozniak is not boring, so that pair is never produced (docker's rule too).
 */
export function generateName(retry = 0): string {
  for (;;) {
    const name = `${pick(ADJECTIVES)}_${pick(SURNAMES)}`;
    if (name === 'boring_wozniak') continue;
    return retry > 0 ? `${name}${randomInt(10)}` : name;
  }
}
