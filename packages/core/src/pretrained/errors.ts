import { YonosError } from '../errors.js';

/** A model folder cannot be read or written: a missing file, bad JSON, or a config of another class. */
export class PretrainedError extends YonosError {}
