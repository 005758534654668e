/**
 * Varied, realistic texts for seeded tasks, from a seeded generator: the same
 * seed gives the same texts, and every text of one generator is distinct (each
 * carries a reference number), so "embedded more than once" means what it says.
 */

/** mulberry32: small, fast and good enough for picking words. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Pick = <T>(items: readonly T[]) => T;

const PRODUCTS = [
  'wireless headphones',
  'standing desk',
  'espresso machine',
  'trail running shoes',
  'mechanical keyboard',
  'air purifier',
  'cast-iron skillet',
  'e-reader',
  'robot vacuum',
  'winter jacket',
];
const OPINIONS = [
  'works exactly as described',
  'stopped charging after two weeks',
  'is sturdier than I expected for the price',
  'arrived with a cracked panel',
  'is quiet enough to use at night',
  'feels cheap but does the job',
  'exceeded every expectation I had',
  'has a confusing setup process',
];
const DETAILS = [
  'Battery life is around nine hours with noise cancelling on.',
  'Customer service replaced it within three days.',
  'The instructions were only in German, which was a surprise.',
  'My partner uses it every morning now.',
  'Delivery took longer than the estimate on the product page.',
  'The colour is slightly darker than in the photos.',
  'I would buy it again without hesitation.',
  'Returned it and ordered the previous model instead.',
];
const CUSTOMERS = [
  'María González',
  'Chen Wei',
  'Olusegun Adeyemi',
  'Sophie Martin',
  'Hiroshi Tanaka',
  'Priya Natarajan',
  'Lukas Schmidt',
  'Fatima Zahra',
];
const PROBLEMS = [
  'the invoice shows the wrong VAT rate',
  'two-factor codes arrive after they expire',
  'the mobile app logs out every few minutes',
  'exported CSV files have broken accents (é, ü, ñ)',
  'the dashboard shows yesterday’s numbers',
  'password reset e-mails never arrive',
  'the checkout page times out on large orders',
];
const EVENTS = [
  'the latest update',
  'changing their billing address',
  'moving to the enterprise plan',
  'a browser upgrade',
  'the maintenance window on Sunday',
];
const CITIES = [
  'Lisbon',
  'Nairobi',
  'Montréal',
  'Osaka',
  'Kraków',
  'Buenos Aires',
  'Auckland',
];
const ORGS = [
  'the city council',
  'the national weather service',
  'a regional hospital network',
  'the port authority',
  'a university research group',
  'the transit operator',
];
const ACTIONS = [
  'it will extend night-time bus services through the winter',
  'a new flood warning system goes live next month',
  'emergency wait times fell by a fifth over the past year',
  'container traffic reached a ten-year high',
  'researchers mapped a previously unknown cave system',
  'a pilot scheme for free bike rentals is being expanded',
];
const DISHES = [
  'a lemon and thyme roast chicken',
  'vegetable dumplings',
  'a lentil soup with smoked paprika',
  'sourdough focaccia',
  'a mango lassi',
  'shakshuka',
];
const STEPS = [
  'start by preparing every ingredient before the pan gets hot',
  'let the dough rest overnight in the fridge',
  'toast the spices in a dry pan until fragrant',
  'salt the water generously before it boils',
  'finish with a squeeze of lime just before serving',
];
const AREAS = ['auth', 'billing', 'search', 'notifications', 'exports', 'api'];
const CHANGES = [
  'retry token refresh once on 401',
  'stop double-charging when the webhook is replayed',
  'rank exact title matches first',
  'batch push notifications per device',
  'stream large exports instead of buffering them',
  'return 409 when a resource was modified concurrently',
];

const families: ((pick: Pick, ref: number) => string)[] = [
  (pick, ref) =>
    `Review ${ref}: ${pick(['★★★★★', '★★★★☆', '★★★☆☆', '★★☆☆☆', '★☆☆☆☆'])} The ${pick(PRODUCTS)} ${pick(OPINIONS)}. ${pick(DETAILS)}`,
  (pick, ref) =>
    `Support ticket #${ref}. ${pick(CUSTOMERS)} reports that ${pick(PROBLEMS)} since ${pick(EVENTS)}. ${pick(['Priority: high.', 'Priority: normal.', 'The customer is on a trial account.', 'Second report this week.'])}`,
  (pick, ref) =>
    `${pick(CITIES)} (dispatch ${ref}) — ${pick(ORGS)} announced that ${pick(ACTIONS)}. ${pick(['Officials expect a decision by spring.', 'Critics say the budget is too small.', 'Residents can comment until the end of the month.'])}`,
  (pick, ref) =>
    `Recipe card ${ref}: to make ${pick(DISHES)}, ${pick(STEPS)}; then ${pick(STEPS)}.`,
  (pick, ref) =>
    `fix(${pick(AREAS)}): ${pick(CHANGES)}\n\nCloses #${ref}. ${pick(['Covered by an end-to-end test.', 'No migration needed.', 'Behind a feature flag for now.'])}`,
  (pick, ref) => {
    const sentences = Array.from(
      { length: 3 + Math.floor(pick([0, 1, 2, 3, 4, 5, 6])) },
      () => `The ${pick(PRODUCTS)} ${pick(OPINIONS)}. ${pick(DETAILS)}`,
    );
    return `Customer survey response ${ref}. ${sentences.join(' ')}`;
  },
];

/** Yields distinct texts; `seed` picks the sequence. */
export class SampleTexts {
  private readonly random: () => number;
  private readonly pick: Pick;
  private ref: number;

  constructor(seed = 1) {
    this.random = seededRandom(seed);
    this.pick = (items) => items[Math.floor(this.random() * items.length)];
    this.ref = 1000 + Math.floor(this.random() * 9000);
  }

  next(): string {
    this.ref += 1 + Math.floor(this.random() * 3);
    return this.pick(families)(this.pick, this.ref);
  }
}
