import type { CallerSnapshot } from '../../src/approvals/review.types.ts';

/**
 * The CI provenance worth showing an approver, read from the requester's token claims (the
 * claims the approvals store's allowlist kept, and the issuer's `contextClaims`, which the
 * snapshot always keeps: caller-snapshot.ts). GitHub Actions names them `repository`,
 * `workflow`, `ref`, `run_id`; GitLab names them `project_path`, `ref`, `pipeline_id`.
 *
 * A run URL is built only from claims whose shape is checked here (an owner/repo path, a numeric
 * run id, an https issuer), so a claim cannot smuggle a different link into the card.
 */
export interface CiContext {
  repository?: string;
  workflow?: string;
  ref?: string;
  /** A link to the CI run, when the claims identify one. */
  runUrl?: string;
}

const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
/** GitHub Enterprise Server's Actions issuer: `https://<host>/_services/token`. */
const GHES_ISSUER = /^https:\/\/[A-Za-z0-9.-]+(:\d+)?\/_services\/token$/;

/** Where a GitHub issuer's runs are shown: github.com, or the Enterprise Server's own host. */
function githubOrigin(issuer: string): string | undefined {
  if (issuer === GITHUB_ISSUER) return 'https://github.com';
  return GHES_ISSUER.test(issuer) ? new URL(issuer).origin : undefined;
}
const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const PROJECT_PATH = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/;
const NUMBER = /^\d{1,20}$/;

/** The CI context of a caller, or `undefined` when its claims carry none. */
export function ciContextOf(caller: CallerSnapshot): CiContext | undefined {
  const claims = caller.claims;
  const text = (name: string): string | undefined => {
    const value = claims[name];
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number') return String(value);
    return undefined;
  };
  const context: CiContext = {};
  const repository = text('repository') ?? text('project_path');
  if (repository) context.repository = repository;
  const workflow = text('workflow');
  if (workflow) context.workflow = workflow;
  const ref = text('ref');
  if (ref) context.ref = ref;
  const runUrl = runUrlOf(caller.issuer, text);
  if (runUrl) context.runUrl = runUrl;
  return Object.keys(context).length > 0 ? context : undefined;
}

function runUrlOf(issuer: string, text: (name: string) => string | undefined): string | undefined {
  const repository = text('repository');
  const runId = text('run_id');
  const github = githubOrigin(issuer);
  if (github && repository && runId && REPOSITORY.test(repository) && NUMBER.test(runId)) {
    return `${github}/${repository}/actions/runs/${runId}`;
  }
  const project = text('project_path');
  const pipeline = text('pipeline_id');
  if (project && pipeline && PROJECT_PATH.test(project) && NUMBER.test(pipeline)) {
    let origin: string;
    try {
      const url = new URL(issuer);
      if (url.protocol !== 'https:') return undefined;
      origin = url.origin;
    } catch {
      return undefined;
    }
    return `${origin}/${project}/-/pipelines/${pipeline}`;
  }
  return undefined;
}
