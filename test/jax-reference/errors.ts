/**
 * For every case where JAX raised: the tagged error tanka must throw and what its message must
 * say (what went wrong and the fix), keyed by fixture case id.
 */
export interface ErrorExpectation {
  readonly tags: ReadonlyArray<string>
  readonly message: RegExp
}

const shape = (message: RegExp): ErrorExpectation => ({ tags: ["ShapeError"], message })

export const ERROR_EXPECTATIONS: Record<string, ErrorExpectation> = {
  "jnp.einsum[size-mismatch]": shape(/Size of label 'j' .* does not match .*make the sizes equal/),
  "jnp.einsum[index-count]": shape(/subscript 'ijk' does not contain the correct number of indices for operand 0.*one label per axis/),
  "jnp.einsum[unknown-output]": shape(/Output character 'l' did not appear in the input/),
  "jnp.einsum[repeated-output]": shape(/repeats 'i'; an output label may appear once/),
  "jnp.einsum[operand-count]": shape(/name 2 operand\(s\) but 1 were given; give one comma-separated term per operand/),
  "jnp.matmul[inner]": shape(/matmul: f32\[2,3\] @ f32\[4,5\].*inner dimensions differ.*transpose or reshape/),
  "jnp.add[broadcast]": shape(/cannot be broadcast together.*Reshape or expand one operand/),
  "jnp.reshape[size]": shape(/cannot reshape f32\[2,3\] \(size 6\) into shape \[4,2\].*sizes must match/),
  "jnp.concatenate[shapes]": shape(/must match on every axis except 0/),
  "jnp.split[unequal]": shape(/does not result in an equal division.*Use jnp.arraySplit/),
  "jnp.split[index-past-end]": shape(/sizes passed to split must be nonnegative.*increasing indices between 0 and 7/),
  "jnp.split[decreasing]": shape(/sizes passed to split must be nonnegative.*increasing indices/),
  "jnp.split[negative]": shape(/sizes passed to split must be nonnegative.*not counted from the end/),
  "jnp.max[empty]": shape(/zero-size array to reduction operation max which has no identity.*non-empty axes/),
  "jnp.argmax[empty]": shape(/attempt to get argmax of an empty sequence.*Check for an empty axis/),
  "jnp.sum[axis]#1": shape(/axis 2 is out of bounds for an array of rank 2; use an axis in \[-2, 1\]/),
  "lax.top_k[k-too-large]": shape(/k=5 must be an integer between 0 and the size of axis 1 \(4\)/),
  "lax.dynamic_slice[size]": shape(/slice size 4 on axis 0 must be a static integer in \[0, 3\]/),
  "jnp.take_along_axis[rank]": shape(/must have the same rank/),
  "jnp.tril[rank]": shape(/needs an array of rank >= 2/),
  "nn.glu[odd]": shape(/odd size 5; it must split into two equal halves/),
  "jnp.pad[empty-reflect]": shape(/cannot extend the empty axis 0.*only "constant" pads an empty axis/),
  "random.choice[too-many]": { tags: ["ArrayDataError"], message: /larger sample \(size 5\) than population \(size 3\).*pass replace: true/ },
  "init.glorot_normal[1d]": { tags: ["ArrayDataError"], message: /1-dimensional weights tensor.*pass inAxis explicitly/ },
  "lax.sort[num-keys]": shape(/numKeys=3 must be between 1 and the number of operands \(2\)/),
  "program.jit_zeros_traced_shape": { tags: ["ConcretizationError"], message: /jnp.zeros: the shape must be made of static integers.*Fix: pass plain JS numbers/ },
  "program.jit_repeat_traced_counts": { tags: ["ConcretizationError"], message: /repeat counts i32\[3\] are traced.*pass \{ totalRepeatLength: N \}/ },
  "program.jit_dynamic_slice_traced_size": shape(/must be a static integer.*sizes cannot depend on traced values/),
  "program.grad_at_mul_repeated": { tags: ["TransformArgumentError"], message: /only defined when the indices are unique.*uniqueIndices: true/ },
  "program.grad_non_scalar": { tags: ["TransformArgumentError"], message: /requires a scalar output, got f32\[3\].*jnp.sum/ },
  "jnp.nonzero[0d]": shape(/calling nonzero on a 0-d array f32\[\] is not allowed/),
  "program.jit_nonzero_without_size": { tags: ["ConcretizationError"], message: /nonzero: the number of nonzero elements .* pass \{ size: N \}/ },
  "program.vmap_inconsistent_sizes": { tags: ["TransformArgumentError"], message: /mapped axes have different sizes/ }
}
