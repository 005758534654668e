import {
  candidatePhrases,
  Conversation,
  hashText,
  messageText,
} from './conversation.js';

describe('candidatePhrases', () => {
  it('finds runs of capitalised words, with linking words, in order and once', () => {
    expect(
      candidatePhrases(
        'Segundo Luiz Inácio Lula da Silva, o Rio de Janeiro e São Paulo votam. Lula e Dilma: Rio de Janeiro.',
      ),
    ).toEqual([
      'Luiz Inácio Lula da Silva',
      'Rio de Janeiro',
      'São Paulo',
      'Lula',
      'Dilma',
    ]);
  });

  it('drops words capitalised only because they open a sentence', () => {
    expect(
      candidatePhrases(
        'O presidente falou. A vacina chegou. Em Brasília, nada.',
      ),
    ).toEqual(['Brasília']);
  });

  it('ends a run at punctuation and line breaks, and keeps names with digits and capitals', () => {
    expect(
      candidatePhrases('SAÚDE PÚBLICA — Jair Bolsonaro\nCovid-19, Vacina'),
    ).toEqual(['SAÚDE PÚBLICA', 'Jair Bolsonaro', 'Covid-19', 'Vacina']);
  });

  it('does not end a name on a linking word', () => {
    expect(candidatePhrases('Falou Maria da costa.')).toEqual(['Falou Maria']);
  });
});

describe('Conversation', () => {
  const conversation = (...messages: [string, unknown][]) =>
    new Conversation(messages.map(([role, content]) => ({ role, content })));

  it('reads text parts, and takes names from the last user message', () => {
    const read = conversation(
      ['system', 'You are Extractor. Answer in JSON.'],
      ['user', [{ type: 'text', text: 'Dilma Rousseff visitou Belém.' }]],
    );
    expect(read.focus).toBe('Dilma Rousseff visitou Belém.');
    expect(read.candidates).toEqual(['Dilma Rousseff', 'Belém']);
    expect(read.text).toContain('You are Extractor');
    expect(read.promptTokens).toBe(
      Math.ceil(read.text.replace('\n', '').length / 4),
    );
  });

  it('falls back to the first words of a text with no name', () => {
    expect(
      conversation(['user', 'sem nomes aqui, só palavras minúsculas'])
        .candidates,
    ).toEqual(['sem nomes aqui', 'só palavras minúsculas']);
  });

  it('finds the markers', () => {
    expect(conversation(['user', 'x [[refuse]]']).marker).toEqual({
      kind: 'refuse',
    });
    expect(conversation(['user', '[[off_schema]] y']).marker).toEqual({
      kind: 'off_schema',
    });
    expect(conversation(['user', 'z [[error:503]]']).marker).toEqual({
      kind: 'error',
      status: 503,
    });
    expect(
      conversation(['user', 'no marker [[other]]']).marker,
    ).toBeUndefined();
  });

  it('excerpts the sentence that mentions a phrase, at most 160 characters', () => {
    const read = conversation([
      'user',
      `Primeira frase. Depois Pelé jogou. ${'Longa '.repeat(60)}fim.`,
    ]);
    expect(read.excerpt('Pelé')).toBe('Depois Pelé jogou.');
    expect(read.excerpt('Ausente')).toBe('Primeira frase.');
    expect(read.excerpt('Longa').length).toBeLessThanOrEqual(160);
  });

  it('guesses Portuguese or English', () => {
    expect(
      conversation([
        'user',
        'O governo não disse que a vacina é segura',
      ]).language(),
    ).toBe('pt');
    expect(
      conversation([
        'user',
        'The government said the vaccine is safe',
      ]).language(),
    ).toBe('en');
  });
});

describe('messageText and hashText', () => {
  it('ignores parts without text', () => {
    expect(
      messageText([{ type: 'image_url' }, { type: 'text', text: 'a' }]),
    ).toBe('a');
    expect(messageText(null)).toBe('');
  });

  it('hashes stably', () => {
    expect(hashText('abc')).toBe(hashText('abc'));
    expect(hashText('abc')).not.toBe(hashText('abd'));
  });
});
