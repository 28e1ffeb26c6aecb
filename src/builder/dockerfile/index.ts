// The Dockerfile front end: text → AST (parser.ts) → typed stages (instructions.ts) → resolved build plan with
// expansions, scopes and the stage graph (stages.ts); .dockerignore matching (dockerignore.ts).

export { DockerfileError, type Position, type SourceRange } from './dockerfile-error.ts';
export { parseDockerfile, parseInstructionLine, INSTRUCTION_NAMES } from './parser.ts';
export type { DockerfileAST, Node, Flag, Heredoc, KeyValue, Directives, ParseOptions, ParseWarning } from './parser.ts';
export { parseDockerfileInstructions, instructionsFromAST, toInstruction, parseTrigger, parseMount, parseGoDuration } from './instructions.ts';
export type * from './instructions.ts';
export { ShellLex, envLookup, type EnvLookup, type ShellLexOptions, type ProcessResult } from './expand.ts';
export { resolveStages, parsePlatform, formatPlatform, defaultPlatform, parseExposedPorts, PROXY_ARGS, DEFAULT_PATH } from './stages.ts';
export type { BuildPlan, ResolvedStage, ResolvedInstruction, ResolveOptions, StageBase, Platform } from './stages.ts';
export { createIgnoreMatcher, createPatternMatcher, readIgnorePatterns, cleanPath, loadDockerignore, walkContext, listContext } from './dockerignore.ts';
export type { IgnoreMatcher, IgnorePattern, ContextEntry } from './dockerignore.ts';
