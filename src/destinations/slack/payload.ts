import type { BuildResult, BuiltRequest, DeliveryItem } from '../../delivery/destination.js';
import { traitAt } from '../../engine/traits/trait-path.js';
import { PEOPLE_PER_MESSAGE } from './limits.js';
import type { SlackMapping, SlackSettings } from './settings.js';

/**
 * Audience entries -> Slack Block Kit messages (README.md "What is sent"). Pure. Only entries alert:
 * an item that exits or only changes traits is carried by no request, so it is settled as delivered.
 * https://api.slack.com/messaging/webhooks, https://api.slack.com/reference/block-kit/blocks
 */

/** Block Kit limits: a header's plain text, a section's text. */
const HEADER_MAX = 150;
const SECTION_MAX = 3000;

export interface SlackBlock {
  type: 'header' | 'section';
  text: { type: 'plain_text' | 'mrkdwn'; text: string };
}

export interface SlackMessage {
  /** The notification and fallback text. */
  text: string;
  blocks: SlackBlock[];
}

interface Entry {
  index: number;
  item: DeliveryItem;
  entered: string[];
}

export function buildBatch(
  items: DeliveryItem[],
  config: { settings: SlackSettings; mapping: SlackMapping },
): BuildResult {
  const { settings, mapping } = config;
  const entries: Entry[] = items
    .map((item, index) => ({
      index,
      item,
      entered: mapping.audiences.filter((audience) => item.audiences[audience] === true),
    }))
    .filter((entry) => entry.entered.length > 0);
  const requests: BuiltRequest[] = [];
  for (let start = 0; start < entries.length; start += PEOPLE_PER_MESSAGE) {
    const group = entries.slice(start, start + PEOPLE_PER_MESSAGE);
    requests.push({
      method: 'POST',
      url: settings.webhook_url,
      headers: { 'Content-Type': 'application/json' },
      body: messageOf(group, settings, mapping),
      items: group.map((entry) => entry.index),
    });
  }
  return { requests, skipped: [] };
}

function messageOf(group: Entry[], settings: SlackSettings, mapping: SlackMapping): SlackMessage {
  const headline = headlineOf(group, mapping);
  return {
    text: headline,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: truncate(headline, HEADER_MAX) } },
      ...group.map((entry): SlackBlock => ({
        type: 'section',
        text: { type: 'mrkdwn', text: truncate(personText(entry, settings, mapping), SECTION_MAX) },
      })),
    ],
  };
}

/** `3 people entered high_intent`, per audience in mapping order: `2 people entered a, 1 person entered b`. */
function headlineOf(group: Entry[], mapping: SlackMapping): string {
  return mapping.audiences
    .map((audience) => [audience, group.filter((entry) => entry.entered.includes(audience)).length] as const)
    .filter(([, count]) => count > 0)
    .map(([audience, count]) => `${count} ${count === 1 ? 'person' : 'people'} entered ${audience}`)
    .join(', ');
}

/**
 * `*<link|ada@example.com>* entered *high_intent*`, then one line per shown trait that has a value:
 * `lead_score: *82*`, `lead_score.reasons: +99 Visited pricing, +10 Director title`.
 */
function personText(entry: Entry, settings: SlackSettings, mapping: SlackMapping): string {
  const { item } = entry;
  const link = `${settings.admin_url}/#/person${personQuery(item)}`;
  const label = escapeText(displayName(item, mapping.show)).replaceAll('|', '¦');
  const audiences = entry.entered.map((audience) => `*${audience}*`).join(', ');
  const lines = [`*<${link}|${label}>* entered ${audiences}`];
  for (const path of mapping.traits) {
    const value = traitAt(item.knownTraits, path);
    if (value === null || value === undefined) continue;
    const shown = escapeText(formatValue(value));
    lines.push(typeof value === 'number' ? `${path}: *${shown}*` : `${path}: ${shown}`);
  }
  return lines.join('\n');
}

/** The chosen identifier; a missing one falls back to the userId, then the relay's profile id. */
export function displayName(item: DeliveryItem, show: SlackMapping['show']): string {
  const chosen =
    show === 'email' ? (item.identifiers.email ?? item.identifiers.userId) : item.identifiers.userId;
  return chosen ?? `profile ${item.profileId}`;
}

function formatValue(value: unknown): string {
  if (typeof value === 'number')
    return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(1)));
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map((element: unknown) => formatValue(element)).join(', ');
  return JSON.stringify(value) ?? '';
}

/** Slack reads `&`, `<` and `>` as markup: escaped as its docs ask. */
function escapeText(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * The admin page's person view looks a person up by an identifier: the first of userId, anonymousId
 * and e-mail the profile has (the e-mail only when it has neither, as the message's name does).
 */
function personQuery(item: Entry['item']): string {
  for (const kind of ['userId', 'anonymousId', 'email'] as const) {
    const value = item.identifiers[kind];
    if (value) return `?${kind}=${encodeURIComponent(value)}`;
  }
  return '';
}
