import {
  itemByLabel,
  PEOPLE,
  type WikidataItem,
} from '../wikidata/wikidata-items.js';
import { seededRandom } from './sample-texts.js';

/**
 * Claims sent for fact-checking, in Portuguese, for seeded verification
 * tasks: each names an area of society (as a news section, in capitals),
 * one or two people and its topics, all items of the Wikidata stand-in, so
 * that the chat stand-in's names (its capitalised phrases, in order: area,
 * people, place, topics) lead the service's enrichment to real matches, and
 * to namesakes it must drop. Every text carries a reference number, so no
 * two are the same.
 */

export interface VerificationSample {
  text: string;
  people: WikidataItem[];
  topics: WikidataItem[];
  area: WikidataItem;
}

interface Claim {
  claim: string;
  /** Portuguese labels of items of the table. */
  topics: string[];
  area: string;
}

const CLAIMS: readonly Claim[] = [
  {
    claim:
      'a vacina contra a covid-19 altera o código genético de quem a recebe',
    topics: ['Vacina', 'Covid-19'],
    area: 'Saúde pública',
  },
  {
    claim: 'o uso de máscaras causa falta de oxigênio em crianças',
    topics: ['Saúde', 'Covid-19'],
    area: 'Saúde pública',
  },
  {
    claim: 'o desmatamento na floresta amazônica caiu pela metade em um ano',
    topics: ['Desmatamento', 'Floresta Amazônica'],
    area: 'Meio ambiente',
  },
  {
    claim: 'o aquecimento global é uma farsa inventada por cientistas',
    topics: ['Mudança climática', 'Desinformação'],
    area: 'Meio ambiente',
  },
  {
    claim: 'as urnas eletrônicas foram fraudadas na última eleição',
    topics: ['Eleição', 'Desinformação'],
    area: 'Política',
  },
  {
    claim: 'o voto impresso volta a valer nas eleições deste ano',
    topics: ['Eleição'],
    area: 'Política',
  },
  {
    claim:
      'o governo vai taxar toda transferência por pix a partir do mês que vem',
    topics: ['Economia', 'Desinformação'],
    area: 'Economia',
  },
  {
    claim: 'o salário mínimo vai dobrar no ano que vem',
    topics: ['Economia'],
    area: 'Economia',
  },
  {
    claim: 'as escolas públicas terão aulas aos sábados em todo o país',
    topics: ['Educação'],
    area: 'Educação',
  },
  {
    claim: 'a criminalidade caiu 40% nas capitais depois da nova lei',
    topics: ['Crime'],
    area: 'Segurança pública',
  },
];

const VERBS = [
  'afirmou',
  'disse',
  'declarou',
  'garantiu em entrevista',
  'publicou nas redes sociais',
];
const PLACES = [
  'em Brasília',
  'em São Paulo',
  'no Rio de Janeiro',
  'em Belém',
  'em Manaus',
  'em Porto Alegre',
  'no Recife',
];

function item(label: string): WikidataItem {
  const found = itemByLabel(label);
  if (!found) throw new Error(`no item labelled ${label}`);
  return found;
}

/** Yields distinct verification texts; `seed` picks the sequence. */
export class VerificationTexts {
  private readonly random: () => number;
  private ref: number;

  constructor(seed = 1) {
    this.random = seededRandom(seed);
    this.ref = 1000 + Math.floor(this.random() * 9000);
  }

  next(): VerificationSample {
    const pick = <T>(items: readonly T[]): T =>
      items[Math.floor(this.random() * items.length)];
    this.ref += 1 + Math.floor(this.random() * 3);
    const { claim, topics, area } = pick(CLAIMS);
    const speaker = pick(PEOPLE);
    const other = pick(PEOPLE.filter((person) => person !== speaker));
    const second = this.random() < 0.35;
    // Half of the mentions use an alias ("Lula", "Bolsonaro"), as texts do.
    const mention = (person: WikidataItem) =>
      this.random() < 0.5 && person.aliases.pt?.length
        ? person.aliases.pt[0]
        : person.labels.pt;
    const text =
      `${area.toUpperCase()} — ${mention(speaker)} ${pick(VERBS)} ${pick(PLACES)} que ${claim}` +
      `${second ? `, em resposta a ${mention(other)}` : ''}; temas: ${topics.join(', ')} ` +
      `(checagem nº ${this.ref}).`;
    return {
      text,
      people: second ? [speaker, other] : [speaker],
      topics: topics.map(item),
      area: item(area),
    };
  }
}
