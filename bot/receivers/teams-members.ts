import type { TeamsConnector } from '../workers/teams-connector.ts';

/**
 * A Teams user's UPN, for `teams.approvers.byUpn`: the connector's member lookup
 * (`GET /v3/conversations/{id}/members/{userId}`) answers it, but only within a conversation the
 * user is in, on that conversation's connector. The receiver records where it last heard each
 * user ({@link TeamsMemberLookup.heardIn}) before asking the approver directory, which then looks
 * the user up by id alone (the directory's contract, shared with Slack's e-mail lookup).
 */
export interface TeamsMemberLookup {
  heardIn(aadObjectId: string, serviceUrl: string, conversationId: string): void;
  upnOf(aadObjectId: string): Promise<string | undefined>;
}

const MAX_REMEMBERED = 10_000;

export function teamsMemberLookup(connector: TeamsConnector): TeamsMemberLookup {
  const where = new Map<string, { serviceUrl: string; conversationId: string }>();
  return {
    heardIn(aadObjectId, serviceUrl, conversationId) {
      where.delete(aadObjectId);
      where.set(aadObjectId, { serviceUrl, conversationId });
      if (where.size > MAX_REMEMBERED) where.delete(where.keys().next().value!);
    },
    async upnOf(aadObjectId) {
      const place = where.get(aadObjectId);
      if (!place) return undefined;
      const member = await connector
        .conversations(place.serviceUrl)
        .members(place.conversationId)
        .getById(aadObjectId);
      const upn = member.userPrincipalName ?? member.email;
      return typeof upn === 'string' && upn !== '' ? upn : undefined;
    },
  };
}
