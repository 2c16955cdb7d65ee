import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { chromiumMissing, itWithChromium, launchChromium } from '../../../platform/src/testing/chromium';
import { campaignSeriesOf } from '../campaign/campaign-series';
import { daysOfCoverPolicy, reorderPointPolicy } from '../policies';
import { policyGrid, replayCampaign } from '../replay';
import { handMadeCampaign } from '../testing/hand-made-campaign';
import { renderReport } from './report-html';

const itInChromium = itWithChromium('the HTML report test');

describe('HTML report in headless Chromium', () => {
  let dir: string;
  let browser: Browser | undefined;
  const campaign = campaignSeriesOf(handMadeCampaign());
  const result = replayCampaign(campaign, {
    grids: [
      policyGrid(reorderPointPolicy, { axes: { serviceLevel: [0.9, 0.95, 0.99] }, leadTimeDays: [1, 2, 3], reviewDays: [1, 2, 3] }),
      policyGrid(daysOfCoverPolicy, { axes: { coverDays: [1, 2] }, leadTimeDays: [2], reviewDays: [2] }),
    ],
    targetFillRate: 0.95,
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dropline-report-'));
    if (!chromiumMissing) browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  itInChromium(
    'renders every chart offline with no console errors',
    async () => {
      browser ??= await launchChromium();
      const path = join(dir, 'report.html');
      writeFileSync(path, renderReport(result, campaign, { source: 'hand-made campaign' }));

      const page = await browser!.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      page.on('pageerror', (error) => errors.push(String(error)));
      // Self-contained means nothing but the file itself is ever requested.
      await page.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith('file:')) return route.continue();
        requests.push(url);
        return route.abort();
      });
      await page.goto(`file://${path}`, { waitUntil: 'load' });

      // The trade-off plot: one point per run (27 + 2), the recommended run ringed.
      expect(await page.locator('svg.chart-tradeoff circle.point').count()).toBe(29);
      expect(await page.locator('svg.chart-tradeoff circle.recommended').count()).toBe(1);
      // One cumulative chart per SKU with its four lines and a threshold line per policy family.
      expect(await page.locator('svg.chart-cumulative').count()).toBe(1);
      expect(await page.locator('svg.chart-cumulative g.series polyline').count()).toBe(4);
      expect(await page.locator('svg.chart-cumulative g.threshold line').count()).toBe(2);
      // Drawn, not just present: the charts have a real size on the page.
      const box = await page.locator('svg.chart-cumulative').boundingBox();
      expect(box && box.width > 300 && box.height > 200).toBe(true);
      // The recommendation with its reason, and one row per run.
      await expect(page.locator('table.recommendations tbody tr').count()).resolves.toBe(1);
      expect(await page.locator('table.recommendations').innerText()).toContain('least excess');
      expect(await page.locator('table.runs tbody tr').count()).toBe(29);
      // The inline script ran: the filter hides and shows SKU sections.
      expect(await page.locator('#shown').innerText()).toBe('1 of 1 shown');
      await page.fill('#filter', 'no-such-sku');
      expect(await page.locator('#shown').innerText()).toBe('0 of 1 shown');

      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      await page.close();
    },
    120_000,
  );
});
