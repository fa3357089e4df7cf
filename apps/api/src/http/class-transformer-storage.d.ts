// class-transformer ships no types for its deep modules; the compiled validation reads the same metadata it does.
declare module 'class-transformer/cjs/storage' {
  export const defaultMetadataStorage: import('class-transformer/types/MetadataStorage').MetadataStorage;
}
declare module 'class-transformer/cjs/constants/default-options.constant' {
  export const defaultOptions: import('class-transformer').ClassTransformOptions;
}
