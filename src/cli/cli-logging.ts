/** Imported first by every CLI: human log lines at warn on a terminal, JSON when stderr is not one (src/log.ts). */
import { useCliLogging } from '../log.ts';

useCliLogging();
