// The model packages register their classes with core's pretrained registry when they are
// imported (`@yonos/vae`: AutoencoderKL, AutoencoderTiny; `@yonos/unet`: UNet2DConditionModel,
// UNet2DModel), as `@yonos/sampler` registers its schedulers with the pipelines that load them.
// The umbrella's modules that read pipeline folders import this one, so those registrations
// have run before a folder is read, without loading the whole umbrella.
import '@yonos/vae';
import '@yonos/unet';
