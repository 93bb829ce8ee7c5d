import { getMetadataStorage } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';

/**
 * class-validator finds a DTO's rules anew for every request, going through every decorated class
 * for its parents. The rules are fixed once the classes are loaded: each answer is kept, and all
 * are forgotten when a rule is added (a class loaded later).
 */
export function rememberValidationRules(): void {
  const storage = getMetadataStorage();
  const find = storage.getTargetValidationMetadatas.bind(storage);
  const add = storage.addValidationMetadata.bind(storage);
  let known = new Map<object, Map<string, ValidationMetadata[]>>();
  storage.addValidationMetadata = (metadata) => {
    known = new Map();
    add(metadata);
  };
  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    const key = JSON.stringify([schema, always, strictGroups, groups]);
    let ofTarget = known.get(target);
    if (!ofTarget) known.set(target, (ofTarget = new Map()));
    let rules = ofTarget.get(key);
    if (!rules) ofTarget.set(key, (rules = find(target, schema, always, strictGroups, groups)));
    return rules;
  };
}
