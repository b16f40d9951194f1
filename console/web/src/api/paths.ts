/** The API's URLs (console/api.types.ts has the route table), with every id encoded. */

const e = encodeURIComponent;

export const api = {
  me: '/api/v1/me',
  logout: '/auth/logout',
  sessions: (query: URLSearchParams) => `/api/v1/sessions${query.size ? `?${query}` : ''}`,
  session: (id: string) => `/api/v1/sessions/${e(id)}`,
  calls: (id: string, offset: number, limit: number) =>
    `/api/v1/sessions/${e(id)}/calls?offset=${offset}&limit=${limit}`,
  call: (id: string, rid: string) => `/api/v1/sessions/${e(id)}/calls/${e(rid)}`,
  cast: (id: string, stream: string) => `/api/v1/sessions/${e(id)}/streams/${e(stream)}/cast`,
  live: (id: string) => `/api/v1/sessions/${e(id)}/live`,
  reviews: (state?: string) => `/api/v1/reviews${state ? `?state=${e(state)}` : ''}`,
  review: (id: string) => `/api/v1/reviews/${e(id)}`,
  approve: (id: string) => `/api/v1/reviews/${e(id)}/approve`,
  reject: (id: string) => `/api/v1/reviews/${e(id)}/reject`,
};

/** The console's own pages (the server answers each with index.html). */
export const pages = {
  sessions: '/sessions',
  session: (id: string) => `/sessions/${e(id)}`,
  stream: (id: string, stream: string) => `/sessions/${e(id)}/streams/${e(stream)}`,
  reviews: '/reviews',
  review: (id: string) => `/reviews/${e(id)}`,
  /** Sign-in comes back to `returnTo` (a path on this console). */
  login: (returnTo: string) => `/auth/login?return=${e(returnTo)}`,
};
