import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { SandboxStats } from '../stats.js';
import { answerFault, answerGarbage } from '../traffic/fault-answers.js';
import { Faults } from '../traffic/faults.js';
import { WIKIDATA_API_PATH } from '../traffic/routes.js';
import { badInteger, jsonfmPage, MediaWikiError } from './mediawiki-answers.js';
import { userAgentProblem } from './user-agent-policy.js';
import { WikidataService, type ApiQuery } from './wikidata.service.js';
import { USER_AGENT_REFUSAL } from './wikimedia-answers.js';

/** What a lagged replica reports, and which server. */
const LAG_HOST = 'db1234.sandbox';

/** Express parses `a=1&a=2` as an array: MediaWiki reads one value. */
function queryOf(req: Request): ApiQuery {
  return Object.fromEntries(
    Object.entries(req.query).map(([name, value]) => [
      name,
      typeof value === 'string'
        ? value
        : Array.isArray(value) && typeof value[0] === 'string'
          ? value[0]
          : undefined,
    ]),
  );
}

/**
 * `GET /w/api.php`: Wikidata's action API, no key needed, behind
 * Wikimedia's edge (outages, the User-Agent policy) and MediaWiki's
 * `maxlag` protocol.
 */
@Controller()
export class WikidataController {
  constructor(
    @Inject(WikidataService) private readonly wikidata: WikidataService,
    @Inject(Faults) private readonly faults: Faults,
    @Inject(SandboxStats) private readonly stats: SandboxStats,
  ) {}

  @Get(WIKIDATA_API_PATH.slice(1))
  api(@Req() req: Request, @Res() res: Response): void {
    const query = queryOf(req);
    res.once('close', () =>
      this.stats.wikidataAnswered(query.action || '(none)', res.statusCode),
    );
    const error = this.faults.takeError('wikidata');
    if (error) return answerFault('wikidata', res, error);
    const garbage = this.faults.takeGarbage('wikidata');
    if (garbage) return answerGarbage(res, garbage, 'wikidata');
    if (userAgentProblem(req.get('user-agent'))) {
      this.stats.userAgentRefused();
      res
        .status(403)
        .type('text/plain; charset=utf-8')
        .send(USER_AGENT_REFUSAL);
      return;
    }
    let body: unknown;
    let headers: Record<string, string> = {};
    try {
      this.checkLag(query.maxlag);
      body = this.wikidata.answer(query);
    } catch (caught) {
      if (!(caught instanceof MediaWikiError)) throw caught;
      body = caught.body();
      headers = { ...caught.headers, 'MediaWiki-API-Error': caught.code };
    }
    res.status(200).set(headers);
    if (query.format === 'json') res.json(body);
    else res.type('text/html; charset=utf-8').send(jsonfmPage(body));
  }

  /**
   * MediaWiki's `maxlag`: a request that accepts at most `maxlag` seconds
   * of replication lag is refused while the lag fault reports more.
   */
  private checkLag(raw: string | undefined): void {
    if (raw === undefined) return;
    if (!/^\d+$/.test(raw)) throw badInteger('maxlag', raw);
    const lag = this.faults.takeLag(Number(raw));
    if (lag === undefined) return;
    this.stats.lagged();
    throw new MediaWikiError(
      'maxlag',
      `Waiting for a database server: ${lag} seconds lagged.`,
      { host: LAG_HOST, lag, type: 'db' },
      {
        'Retry-After': String(Math.max(Number(raw), 5)),
        'X-Database-Lag': String(lag),
      },
    );
  }
}
