import { notes } from './routes/notes';

export const routes = { '/v1/notes': notes };
