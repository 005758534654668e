/**
 * The items the Wikidata stand-in knows: people, namesakes that are not
 * people, topics and areas of society, with their real Q-ids (checked
 * against public references; Segurança pública's is a stand-in), Portuguese
 * and English labels, descriptions and aliases, and their `instance of`
 * (P31). Seeded verification texts (tasks/verification-texts.ts) mention
 * them, so that a service's enrichment finds matches, and misses, on purpose.
 */

export type WikidataLanguage = 'pt' | 'en';

export interface WikidataItem {
  id: string;
  labels: Record<WikidataLanguage, string>;
  descriptions: Record<WikidataLanguage, string>;
  aliases: Partial<Record<WikidataLanguage, string[]>>;
  /** P31 values. */
  instanceOf: string[];
}

export const HUMAN = 'Q5';

const person = (
  id: string,
  pt: [label: string, description: string, aliases?: string[]],
  en: [label: string, description: string, aliases?: string[]],
): WikidataItem => item(id, pt, en, [HUMAN]);

function item(
  id: string,
  [ptLabel, ptDescription, ptAliases]: [string, string, string[]?],
  [enLabel, enDescription, enAliases]: [string, string, string[]?],
  instanceOf: string[],
): WikidataItem {
  return {
    id,
    labels: { pt: ptLabel, en: enLabel },
    descriptions: { pt: ptDescription, en: enDescription },
    aliases: {
      ...(ptAliases?.length ? { pt: ptAliases } : {}),
      ...(enAliases?.length ? { en: enAliases } : {}),
    },
    instanceOf,
  };
}

/** Humans (P31 = Q5). */
export const PEOPLE: readonly WikidataItem[] = [
  person(
    'Q37181',
    [
      'Luiz Inácio Lula da Silva',
      'presidente do Brasil (2003–2010 e desde 2023)',
      ['Lula', 'Lula da Silva', 'Luiz Inácio da Silva'],
    ],
    ['Luiz Inácio Lula da Silva', 'President of Brazil', ['Lula']],
  ),
  person(
    'Q10304982',
    [
      'Jair Bolsonaro',
      '38.º presidente do Brasil',
      ['Bolsonaro', 'Jair Messias Bolsonaro'],
    ],
    ['Jair Bolsonaro', '38th President of Brazil', ['Bolsonaro']],
  ),
  person(
    'Q40722',
    [
      'Dilma Rousseff',
      '36.ª presidente do Brasil',
      ['Dilma', 'Dilma Vana Rousseff'],
    ],
    ['Dilma Rousseff', '36th President of Brazil', ['Dilma']],
  ),
  person(
    'Q230578',
    [
      'Fernando Henrique Cardoso',
      '34.º presidente do Brasil',
      ['FHC', 'Fernando Henrique'],
    ],
    ['Fernando Henrique Cardoso', '34th President of Brazil', ['FHC']],
  ),
  person(
    'Q156844',
    [
      'Getúlio Vargas',
      'presidente do Brasil (1930–1945 e 1951–1954)',
      ['Getulio Vargas', 'Getúlio Dornelles Vargas'],
    ],
    ['Getúlio Vargas', 'President of Brazil (1930–1945, 1951–1954)'],
  ),
  person(
    'Q12897',
    [
      'Pelé',
      'futebolista brasileiro (1940–2022)',
      ['Edson Arantes do Nascimento', 'Rei Pelé'],
    ],
    [
      'Pelé',
      'Brazilian footballer (1940–2022)',
      ['Edson Arantes do Nascimento'],
    ],
  ),
  person(
    'Q1255930',
    ['Drauzio Varella', 'médico e escritor brasileiro', ['Dráuzio Varella']],
    ['Drauzio Varella', 'Brazilian physician and writer'],
  ),
  person(
    'Q979554',
    [
      'Oswaldo Cruz',
      'médico sanitarista brasileiro (1872–1917)',
      ['Osvaldo Cruz', 'Oswaldo Gonçalves Cruz'],
    ],
    ['Oswaldo Cruz', 'Brazilian physician and epidemiologist (1872–1917)'],
  ),
  person(
    'Q22686',
    [
      'Donald Trump',
      '45.º e 47.º presidente dos Estados Unidos',
      ['Trump', 'Donald John Trump'],
    ],
    [
      'Donald Trump',
      'president of the United States (2017–2021, since 2025)',
      ['Trump', 'Donald J. Trump'],
    ],
  ),
  person(
    'Q6279',
    ['Joe Biden', '46.º presidente dos Estados Unidos', ['Biden']],
    [
      'Joe Biden',
      '46th president of the United States',
      ['Biden', 'Joseph Robinette Biden Jr.'],
    ],
  ),
  person(
    'Q76',
    ['Barack Obama', '44.º presidente dos Estados Unidos', ['Obama']],
    [
      'Barack Obama',
      '44th president of the United States',
      ['Obama', 'Barack Hussein Obama II'],
    ],
  ),
  person(
    'Q317521',
    ['Elon Musk', 'empresário e investidor', ['Musk']],
    ['Elon Musk', 'businessman and investor', ['Musk', 'Elon Reeve Musk']],
  ),
];

/**
 * Items whose labels collide with a person's name but are not people: a
 * search for "Lula" or "Obama" finds them too (the town even ranks first, as
 * on the real Wikidata), so "only humans are kept" can be tested.
 */
export const NAMESAKES: readonly WikidataItem[] = [
  item(
    'Q1064404',
    ['Lula Molusco', 'personagem de Bob Esponja Calça Quadrada'],
    [
      'Squidward Tentacles',
      'character from SpongeBob SquarePants',
      ['Lula Molusco'],
    ],
    ['Q15711870'],
  ),
  item(
    'Q41773',
    ['Obama', 'cidade da província de Fukui, no Japão'],
    ['Obama', 'city in Fukui Prefecture, Japan'],
    ['Q494721'],
  ),
  item(
    'Q18355807',
    ['Obama', 'página de desambiguação da Wikimedia'],
    ['Obama', 'Wikimedia disambiguation page'],
    ['Q4167410'],
  ),
];

const CONCEPT = 'Q151885';

/** The areas of society a verification is about (defining_impact_area). */
export const AREAS: readonly WikidataItem[] = [
  item(
    'Q7163',
    ['Política', 'atividades associadas à governação de um país ou área'],
    ['politics', 'activities associated with the governance of an area'],
    [CONCEPT],
  ),
  item(
    'Q189603',
    [
      'Saúde pública',
      'ciência e prática de prevenir doenças e promover a saúde',
    ],
    [
      'public health',
      'preventing disease and promoting health through organized efforts',
    ],
    [CONCEPT],
  ),
  item(
    'Q159810',
    ['Economia', 'produção, distribuição e consumo de bens e serviços'],
    [
      'economy',
      'area of the production, distribution and trade of goods and services',
    ],
    [CONCEPT],
  ),
  item(
    'Q8434',
    [
      'Educação',
      'aprendizagem de conhecimentos, habilidades e valores',
      ['ensino'],
    ],
    ['education', 'transmission of knowledge and skills'],
    [CONCEPT],
  ),
  item(
    'Q2101606',
    ['Segurança pública', 'proteção da população contra crimes e desastres'],
    ['public security', 'protection of the public against crime and disasters'],
    [CONCEPT],
  ),
  item(
    'Q43619',
    [
      'Meio ambiente',
      'ambiente natural, o conjunto dos seres vivos e não vivos',
      ['ambiente natural'],
    ],
    [
      'natural environment',
      'all living and non-living things occurring naturally',
    ],
    [CONCEPT],
  ),
];

/** Topics a claim can touch (defining_topics); the areas are topics too. */
export const TOPICS: readonly WikidataItem[] = [
  item(
    'Q12147',
    ['Saúde', 'estado de bem-estar físico, mental e social'],
    ['health', 'state of physical, mental and social well-being'],
    [CONCEPT],
  ),
  item(
    'Q134808',
    [
      'Vacina',
      'preparação biológica que confere imunidade',
      ['vacinas', 'imunizante'],
    ],
    ['vaccine', 'biological preparation that provides immunity', ['vaccines']],
    ['Q12140'],
  ),
  item(
    'Q84263196',
    [
      'Covid-19',
      'doença infecciosa causada pelo SARS-CoV-2',
      ['covid', 'coronavírus'],
    ],
    ['COVID-19', 'infectious disease caused by SARS-CoV-2', ['covid']],
    ['Q18123741'],
  ),
  item(
    'Q40231',
    ['Eleição', 'processo de escolha por votação', ['eleições']],
    [
      'election',
      'process by which a population chooses the holder of an office',
    ],
    [CONCEPT],
  ),
  item(
    'Q169940',
    ['Desmatamento', 'remoção de florestas', ['desflorestamento']],
    ['deforestation', 'conversion of forest to non-forest use'],
    [CONCEPT],
  ),
  item(
    'Q189656',
    ['Desinformação', 'informação falsa divulgada para enganar', ['fake news']],
    ['disinformation', 'false information spread to deceive'],
    [CONCEPT],
  ),
  item(
    'Q125928',
    [
      'Mudança climática',
      'alteração do clima ao longo do tempo',
      ['mudanças climáticas', 'aquecimento global'],
    ],
    [
      'climate change',
      'change in the statistical distribution of weather patterns',
    ],
    [CONCEPT],
  ),
  item(
    'Q177567',
    [
      'Floresta Amazônica',
      'floresta tropical da bacia do Amazonas',
      ['Amazônia'],
    ],
    [
      'Amazon rainforest',
      'tropical rainforest in the Amazon basin',
      ['Amazonia'],
    ],
    ['Q4421'],
  ),
  item(
    'Q8275',
    ['Crime', 'ato que viola a lei penal', ['criminalidade']],
    ['crime', 'unlawful act forbidden and punishable by criminal law'],
    [CONCEPT],
  ),
  ...AREAS.filter((area) => ['Q159810', 'Q8434', 'Q43619'].includes(area.id)),
];

/** Every item, people first: the order breaks ties in search, like popularity does. */
export const ITEMS: readonly WikidataItem[] = [
  ...PEOPLE,
  ...NAMESAKES,
  ...TOPICS,
  ...AREAS.filter((area) => !TOPICS.includes(area)),
];

const BY_ID = new Map(ITEMS.map((entry) => [entry.id, entry]));

export function itemById(id: string): WikidataItem | undefined {
  return BY_ID.get(id);
}

/** The item whose Portuguese label is `label`, if any (for seeded content). */
export function itemByLabel(label: string): WikidataItem | undefined {
  return ITEMS.find((entry) => entry.labels.pt === label);
}
