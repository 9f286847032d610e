import { notes } from '../src/server/routes/notes';

if (notes().length !== 1) throw new Error('expected one note');
