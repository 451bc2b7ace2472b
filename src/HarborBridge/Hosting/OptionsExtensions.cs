using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace HarborBridge.Hosting;

internal static class OptionsExtensions
{
    /// <summary>Binds a settings section, validates its DataAnnotations at start, and reports failures with the
    /// full setting name (<c>HarborBridge:RabbitMq:Port: …</c>) so an admin knows exactly what to fix.</summary>
    public static OptionsBuilder<T> AddSection<T>(this IServiceCollection services, string sectionName)
        where T : class
    {
        services.AddSingleton<IValidateOptions<T>>(new SectionValidator<T>(sectionName));
        return services.AddOptions<T>().BindConfiguration(sectionName).ValidateOnStart();
    }

    private sealed class SectionValidator<T>(string sectionName) : IValidateOptions<T>
        where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var results = new List<ValidationResult>();
            if (Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
            {
                return ValidateOptionsResult.Success;
            }

            return ValidateOptionsResult.Fail(results.Select(r =>
                $"{sectionName}:{string.Join(',', r.MemberNames)}: {r.ErrorMessage}"));
        }
    }
}
