import { YonosError } from '../errors.js';

/**
 * Thrown when images given to a quality metric cannot be compared: different shapes, a
 * batch of more than one image, or too little left after cropping. The message says which.
 */
export class MetricError extends YonosError {}
