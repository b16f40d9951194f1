import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Me } from '../../api.types.ts';

/** Who is signed in (`/api/v1/me`): every page below the shell has one. */
export const MeContext = createContext<Me | null>(null);

export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error('useMe outside a signed-in page');
  return me;
}
