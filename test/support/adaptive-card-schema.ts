import { z } from 'zod';

/**
 * A focused structural validator for Adaptive Cards 1.5, written from the published schema
 * (adaptivecards.io/schemas/1.5.0/adaptive-card.json) for exactly the elements and properties the
 * bot emits: AdaptiveCard, TextBlock, RichTextBlock/TextRun, Container, Input.Text,
 * Action.Execute, Action.ShowCard, Action.OpenUrl and `refresh`. Objects are strict, so a property
 * the schema does not define (a typo, a 1.6 feature) fails, as do wrong enum values and types.
 * Elements the bot does not emit are not modelled and fail too, which is the point: a new element
 * must be added here, against the schema, before the bot may emit it.
 */
const spacing = z.enum(['None', 'Small', 'Default', 'Medium', 'Large', 'ExtraLarge', 'Padding']);
const color = z.enum(['Default', 'Dark', 'Light', 'Accent', 'Good', 'Warning', 'Attention']);
const containerStyle = z.enum(['default', 'emphasis', 'good', 'attention', 'warning', 'accent']);

const textRun = z.strictObject({
  type: z.literal('TextRun'),
  text: z.string(),
  weight: z.enum(['Lighter', 'Default', 'Bolder']).optional(),
  fontType: z.enum(['Default', 'Monospace']).optional(),
  color: color.optional(),
  isSubtle: z.boolean().optional(),
  italic: z.boolean().optional(),
  size: z.enum(['Default', 'Small', 'Medium', 'Large', 'ExtraLarge']).optional(),
  // A run that is a link (TextRun.selectAction, Adaptive Cards 1.2+; Action.OpenUrl only here).
  selectAction: z
    .strictObject({
      type: z.literal('Action.OpenUrl'),
      url: z.url({ protocol: /^https$/ }),
      title: z.string().optional(),
    })
    .optional(),
});

const common = {
  id: z.string().optional(),
  spacing: spacing.optional(),
  separator: z.boolean().optional(),
  isVisible: z.boolean().optional(),
};

const textBlock = z.strictObject({
  type: z.literal('TextBlock'),
  text: z.string(),
  size: z.enum(['Default', 'Small', 'Medium', 'Large', 'ExtraLarge']).optional(),
  weight: z.enum(['Lighter', 'Default', 'Bolder']).optional(),
  wrap: z.boolean().optional(),
  isSubtle: z.boolean().optional(),
  color: color.optional(),
  ...common,
});

const richTextBlock = z.strictObject({
  type: z.literal('RichTextBlock'),
  inlines: z.array(z.union([textRun, z.string()])),
  ...common,
});

const inputText = z.strictObject({
  type: z.literal('Input.Text'),
  id: z.string().min(1),
  label: z.string().optional(),
  isMultiline: z.boolean().optional(),
  isRequired: z.boolean().optional(),
  errorMessage: z.string().optional(),
  maxLength: z.number().int().positive().optional(),
  placeholder: z.string().optional(),
  spacing: spacing.optional(),
  separator: z.boolean().optional(),
});

const data = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

const execute = z.strictObject({
  type: z.literal('Action.Execute'),
  title: z.string().optional(),
  verb: z.string().min(1),
  data: data.optional(),
  style: z.enum(['default', 'positive', 'destructive']).optional(),
  associatedInputs: z.enum(['auto', 'none']).optional(),
});

const openUrl = z.strictObject({
  type: z.literal('Action.OpenUrl'),
  title: z.string().optional(),
  url: z.url({ protocol: /^https$/ }),
});

// Elements and cards nest, so the schemas refer to each other lazily.
type Schema = z.ZodType<unknown>;
const element: Schema = z.lazy(() => z.union([textBlock, richTextBlock, container, inputText]));
const container: Schema = z.lazy(() =>
  z.strictObject({
    type: z.literal('Container'),
    items: z.array(element),
    style: containerStyle.optional(),
    ...common,
  }),
);
const action: Schema = z.lazy(() => z.union([execute, openUrl, showCard]));
const showCard: Schema = z.lazy(() =>
  z.strictObject({ type: z.literal('Action.ShowCard'), title: z.string().optional(), card: innerCard }),
);
const innerCard: Schema = z.lazy(() =>
  z.strictObject({
    type: z.literal('AdaptiveCard'),
    version: z.literal('1.5'),
    body: z.array(element).optional(),
    actions: z.array(action).optional(),
  }),
);

export const adaptiveCard15 = z.strictObject({
  type: z.literal('AdaptiveCard'),
  $schema: z.literal('http://adaptivecards.io/schemas/adaptive-card.json').optional(),
  version: z.literal('1.5'),
  body: z.array(element),
  actions: z.array(action).optional(),
  refresh: z
    .strictObject({
      action: execute,
      userIds: z.array(z.string()).optional(),
      expires: z.string().optional(),
    })
    .optional(),
  fallbackText: z.string().optional(),
  msteams: z.strictObject({ width: z.literal('Full') }).optional(),
});

/** Throws a readable list of problems when `card` is not a valid 1.5 card of the bot's elements. */
export function assertAdaptiveCard(card: unknown): void {
  const result = adaptiveCard15.safeParse(card);
  if (!result.success) {
    throw new Error(
      `not a valid Adaptive Card 1.5: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
}

/** Every TextRun's text and every TextBlock's text in a card, in order (nested cards included). */
export function cardTexts(card: unknown): { runs: string[]; blocks: string[] } {
  const runs: string[] = [];
  const blocks: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (record['type'] === 'TextRun') runs.push(String(record['text']));
    if (record['type'] === 'TextBlock') blocks.push(String(record['text']));
    for (const value of Object.values(record)) walk(value);
  };
  walk(card);
  return { runs, blocks };
}
