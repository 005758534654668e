import { startProcessors } from '@app/processors/testing';

const TEXT = 'O governo anunciou que a vacina contra a gripe será obrigatória.';

describe('DefiningImpactAreaProcessor', () => {
  it('names the area a claim affects, with its Wikidata item (mock mode)', async () => {
    const { app, process } = await startProcessors();
    const answer = await process({ text: TEXT }, 'defining_impact_area');
    expect(answer).toMatchObject({
      kind: 'succeeded',
      result: {
        name: expect.any(String),
        wikidataId: expect.stringMatching(/^Q\d+$/),
        language: 'pt',
      },
      details: { prompt: 'defining_impact_area/1', model: 'gpt-4o-mini' },
    });
    // Mock mode is deterministic: the same text, the same area.
    await expect(
      process({ text: TEXT }, 'defining_impact_area'),
    ).resolves.toEqual(answer);
    await expect(
      process({ text: ' ' }, 'defining_impact_area'),
    ).resolves.toEqual({
      kind: 'failed',
      code: 'invalid_content',
      message: 'content.text is empty or only whitespace',
    });
    await app.close();
  });
});
