import { PROFILE_DEFAULTS, SandboxSettings } from './settings.js';

describe('SandboxSettings profiles', () => {
  it('is lenient by default, as the sandbox always was', () => {
    expect(new SandboxSettings().switches()).toEqual({
      honourLimit: false,
      conflictOnClaim: false,
      embeddingsLatencyMs: 0,
      tokenTtlSeconds: 3600,
      keepResults: true,
      profile: 'lenient',
      callbacks: false,
      throttleLimit: 0,
      throttleTtlMs: 60_000,
      redirectNotFound: false,
      strictIssuer: false,
      clientAuthMethod: 'client_secret_basic',
      clientScopes: 'read write',
      bodyLimitBytes: 64 * 1024 * 1024,
      storeReports: true,
    });
  });

  it('turns every behaviour of the real server on in the reference profile', () => {
    expect(
      new SandboxSettings({ profile: 'reference' }).switches(),
    ).toMatchObject({
      profile: 'reference',
      callbacks: true,
      throttleLimit: 1000,
      throttleTtlMs: 60_000,
      redirectNotFound: true,
      strictIssuer: true,
      clientAuthMethod: 'client_secret_basic',
      clientScopes: 'read write',
      bodyLimitBytes: 102_400,
      storeReports: false,
    });
  });

  it('lets an explicit option win over its profile', () => {
    expect(
      new SandboxSettings({
        profile: 'reference',
        throttleLimit: 100,
        throttleTtlMs: 2000,
        storeReports: true,
      }).switches(),
    ).toMatchObject({
      throttleLimit: 100,
      throttleTtlMs: 2000,
      storeReports: true,
      callbacks: true,
    });
    expect(
      new SandboxSettings({ profile: 'reference', throttleLimit: 0 })
        .throttleLimit,
    ).toBe(0);
  });

  it('applies a profile changed at run time, then the other changes', () => {
    const settings = new SandboxSettings();
    expect(
      settings.update({ profile: 'reference', strictIssuer: false }),
    ).toMatchObject({
      ...PROFILE_DEFAULTS.reference,
      profile: 'reference',
      strictIssuer: false,
    });
    expect(settings.update({ profile: 'lenient' })).toMatchObject({
      ...PROFILE_DEFAULTS.lenient,
      profile: 'lenient',
    });
    expect(settings.update({ throttleLimit: 5 }).profile).toBe('lenient');
  });
});
