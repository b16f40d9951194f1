/**
 * The text of a Teams message to the bot as a `hoop` command. In a channel the bot only hears
 * messages that @mention it, and the text then holds the mention as `<at>hoop</at>`; in a personal
 * chat there may be none. The mention is stripped wherever it is, Teams' HTML entities are
 * decoded, any other tag is dropped, and a leading `hoop` word is optional, so `@hoop pending`,
 * `hoop pending` and `pending` (the manifest's command list) are the same command.
 */
const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#39;': "'",
  '&nbsp;': ' ',
};

export function commandTextOf(text: string): string {
  const stripped = text
    .replace(/<at\b[^>]*>[\s\S]*?<\/at>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (entity) => ENTITIES[entity] ?? entity)
    .replace(/\s+/g, ' ')
    .trim();
  return stripped.replace(/^\/?hoop\b\s*/i, '');
}
