/** One feature of the assembly the local backend does not run, and the resource that uses it. */
export interface UnsupportedFeature {
  /** What is not supported, e.g. `AWS::SQS::Queue (a queue a function sends to)`. */
  feature: string;
  /** The resource that uses it: its stack path and logical ID. */
  resource: string;
}

/** The start stops: the assembly uses features the local backend would otherwise drop. Lists them all. */
export class UnsupportedFeatureError extends Error {
  override readonly name = 'UnsupportedFeatureError';
  constructor(readonly features: UnsupportedFeature[]) {
    super(
      `the local backend does not support ${features.length === 1 ? 'this feature' : `these ${features.length} features`} of the assembly, and will not start without them:\n${features.map((f) => `  - ${f.feature}: ${f.resource}`).join('\n')}`,
    );
  }
}
