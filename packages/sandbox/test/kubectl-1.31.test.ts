import { kubectlReadSuite } from './kubectl-read-suite.ts';
import { kubectlWriteSuite } from './kubectl-write-suite.ts';

kubectlReadSuite('1.31');
kubectlWriteSuite('1.31');
